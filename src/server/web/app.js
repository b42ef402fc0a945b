// ccpl serve's page: picks two images, sends them to POST /v1/stylize and
// shows the answer. Plain JS, no libraries, nothing loaded from elsewhere.
'use strict';

const $ = (id) => document.getElementById(id);
const EXAMPLES = [
  { file: 'starry_night.jpg', label: 'Starry Night', use: ['style', 'content'] },
  { file: 'chelsea.jpg', label: 'Cat', use: ['content', 'style'] },
  { file: 'coffee.jpg', label: 'Coffee', use: ['content', 'style'] },
];
const picked = { content: null, style: null };
let resultUrl = null;

function setStatus(text, isError) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', !!isError);
}

function show(which, file) {
  picked[which] = file;
  const img = $(which + '-preview');
  if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(file);
  img.alt = (which === 'content' ? 'Content: ' : 'Style: ') + file.name;
  img.hidden = false;
}

function setupPicker(which) {
  const input = $(which), drop = $(which + '-drop');
  input.addEventListener('change', () => { if (input.files[0]) show(which, input.files[0]); });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer.files[0];
    if (f) show(which, f);
  });
}

async function useExample(which, ex) {
  try {
    const r = await fetch('/examples/' + ex.file);
    if (!r.ok) throw new Error('HTTP ' + r.status);
    const blob = await r.blob();
    show(which, new File([blob], ex.file, { type: blob.type }));
    setStatus(ex.label + ' chosen as the ' + which + '.');
  } catch (err) {
    setStatus('Could not load the example: ' + err.message, true);
  }
}

function setupExamples() {
  for (const group of document.querySelectorAll('.examples')) {
    const which = group.dataset.target;
    for (const ex of EXAMPLES) {
      if (!ex.use.includes(which)) continue;
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'example';
      b.dataset.file = ex.file;
      const img = document.createElement('img');
      img.src = '/examples/' + ex.file;
      img.alt = '';
      b.append(img, document.createTextNode(ex.label));
      b.setAttribute('aria-label', 'Use the example ' + ex.label + ' as the ' + which);
      b.addEventListener('click', () => useExample(which, ex));
      group.append(b);
    }
  }
}

async function loadModels() {
  try {
    const r = await fetch('/v1/models');
    const m = await r.json();
    const modes = Object.fromEntries(m.modes.map((x) => [x.name, x]));
    for (const name of ['art', 'photo']) {
      const radio = $('mode-' + name);
      radio.disabled = !modes[name].available;
    }
    const off = m.modes.filter((x) => !x.available).map((x) => x.name === 'art' ? 'Artistic' : 'Photo-realistic');
    $('mode-note').textContent = off.length ? off.join(', ') + ' mode is unavailable on this server (no model).' : '';
    $('mode-' + m.default_mode).checked = true;
    $('server-info').textContent = 'ccpl ' + m.version + ' · ' + m.workers + ' worker(s) · uploads up to ' +
      Math.round(m.limits.max_upload_bytes / 1048576) + ' MiB';
  } catch (err) {
    $('server-info').textContent = 'The server did not answer /v1/models: ' + err.message;
  }
}

function stylize(e) {
  e.preventDefault();
  if (!picked.content || !picked.style) {
    setStatus('Choose a content picture and a style picture first.', true);
    (picked.content ? $('style') : $('content')).focus();
    return;
  }
  const fd = new FormData();
  fd.append('content', picked.content, picked.content.name);
  fd.append('style', picked.style, picked.style.name);
  fd.append('mode', document.querySelector('input[name=mode]:checked').value);
  fd.append('alpha', $('alpha').value);
  fd.append('preserve_color', $('preserve_color').checked ? 'true' : 'false');
  fd.append('content_size', $('content_size').value);
  const format = $('format').value;

  const xhr = new XMLHttpRequest();
  const bar = $('progress'), go = $('go');
  const t0 = performance.now();
  let timer = null;
  xhr.open('POST', '/v1/stylize');
  xhr.setRequestHeader('Accept', format);
  xhr.responseType = 'blob';
  go.disabled = true;
  bar.hidden = false;
  bar.value = 0;
  setStatus('Uploading…');
  $('form').setAttribute('aria-busy', 'true');
  xhr.upload.onprogress = (ev) => {
    if (ev.lengthComputable) bar.value = Math.round(100 * ev.loaded / ev.total);
  };
  xhr.upload.onload = () => {
    bar.removeAttribute('value'); // indeterminate while the server works
    timer = setInterval(() => {
      setStatus('Stylizing… ' + ((performance.now() - t0) / 1000).toFixed(0) + ' s');
    }, 500);
    setStatus('Stylizing…');
  };
  const finish = () => {
    clearInterval(timer);
    go.disabled = false;
    bar.hidden = true;
    $('form').removeAttribute('aria-busy');
  };
  xhr.onerror = () => { finish(); setStatus('The server could not be reached.', true); };
  xhr.onload = async () => {
    finish();
    if (xhr.status !== 200) {
      let msg = 'HTTP ' + xhr.status;
      try { msg = JSON.parse(await xhr.response.text()).error || msg; } catch (_) { /* not JSON */ }
      setStatus('Not stylized: ' + msg, true);
      return;
    }
    if (resultUrl) URL.revokeObjectURL(resultUrl);
    resultUrl = URL.createObjectURL(xhr.response);
    const img = $('result-img');
    img.onload = () => {
      setStatus('Done in ' + ((performance.now() - t0) / 1000).toFixed(1) + ' s: ' +
        img.naturalWidth + '×' + img.naturalHeight + ' px.');
    };
    img.src = resultUrl;
    img.hidden = false;
    $('result-empty').hidden = true;
    const dl = $('download');
    const ext = format === 'image/jpeg' ? 'jpg' : 'png';
    const stem = picked.content.name.replace(/\.[^.]*$/, '') || 'result';
    dl.href = resultUrl;
    dl.download = stem + '_stylized.' + ext;
    dl.hidden = false;
  };
  xhr.send(fd);
}

document.addEventListener('DOMContentLoaded', () => {
  setupPicker('content');
  setupPicker('style');
  setupExamples();
  $('alpha').addEventListener('input', () => { $('alpha-value').textContent = Number($('alpha').value).toFixed(2); });
  $('form').addEventListener('submit', stylize);
  loadModels();
});
