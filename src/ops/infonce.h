/* infonce.h — the CCPL InfoNCE (spec §5 step 4): per sample, logits =
 * q . k^T / tau (S,S), loss = mean over rows of -log softmax(row)[row], the
 * positive being the same position. k is a constant (detached key branch). */
#ifndef CCPL_OPS_INFONCE_H
#define CCPL_OPS_INFONCE_H

#define CCPL__INFONCE_TAU 0.07f

/* Returns the loss averaged over N*S rows, for q (N,S,D) and k (N,S,D).
 * prob (N,S,S): the row softmaxes, kept for the backward. */
float ccpl__infonce_forward(float *prob, const float *q, const float *k, int N, int S, int D,
                            float tau);

/* dq (N,S,D) += dloss / (N*S*tau) * (prob . k - k): the gradient of
 * dloss * loss. prob and k as in the forward. No gradient to k. */
void ccpl__infonce_backward(float *dq, float dloss, const float *prob, const float *k, int N,
                            int S, int D, float tau);

#endif
