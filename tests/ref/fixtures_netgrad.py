"""Gradients through whole networks for test_net_grad (issue 3).

Writes under OUTDIR/netgrad/:
  enc.pth   the normalised VGG to relu4_1 (modules 0..30, random weights)
  dec.pth   the art decoder (random weights)
  ref.pth   inputs, upstream weights R and PyTorch autograd's gradients,
            computed in float64 from the float32 values, stored as float32:
    dec_in (1,512,5,6), dec_R (1,3,40,48), dec_din, dec_<key>.weight/.bias
        for L = sum(decoder(dec_in) * dec_R)
    enc_x (1,3,33,29), enc_R1..enc_R4 (shapes of relu1_1..relu4_1), enc_dx
        for L = sum_k sum(tap_k(enc_x) * enc_Rk)
"""
import os

import torch

import ccpl_ref


def generate(outdir):
    d = os.path.join(outdir, "netgrad")
    os.makedirs(d, exist_ok=True)
    g = torch.Generator().manual_seed(31337)
    old = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        torch.manual_seed(7)
        vgg = torch.nn.Sequential(*list(ccpl_ref.make_vgg().children())[:31])
        dec = ccpl_ref.make_decoder()
        torch.save(vgg.state_dict(), os.path.join(d, "enc.pth"))
        torch.save(dec.state_dict(), os.path.join(d, "dec.pth"))
        ref = {}

        # decoder: L = sum(decoder(f) * R)
        f = torch.rand(1, 512, 5, 6, generator=g)
        dec64 = dec.double()
        f64 = f.double().requires_grad_(True)
        out = dec64(f64)
        R = torch.randn(out.shape, generator=g)
        (out * R.double()).sum().backward()
        ref["dec_in"], ref["dec_R"], ref["dec_din"] = f, R, f64.grad.float()
        for name, p in dec64.named_parameters():
            ref["dec_" + name] = p.grad.float()

        # encoder: L = sum_k sum(tap_k * R_k)
        x = torch.rand(1, 3, 33, 29, generator=g)
        vgg64 = vgg.double()
        x64 = x.double().requires_grad_(True)
        taps = ccpl_ref.encode(vgg64, x64, "art")
        loss = 0
        for k, t in enumerate(taps):
            Rk = torch.randn(t.shape, generator=g)
            ref["enc_R%d" % (k + 1)] = Rk
            loss = loss + (t * Rk.double()).sum()
        loss.backward()
        ref["enc_x"], ref["enc_dx"] = x, x64.grad.float()
        torch.save({k: v.contiguous() for k, v in ref.items()}, os.path.join(d, "ref.pth"))
    finally:
        torch.set_num_threads(old)
