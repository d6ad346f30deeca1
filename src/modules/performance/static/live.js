// Live figures: each [data-performance-live] box opens its Server-Sent Events stream and keeps
// the [data-figure] numbers inside it current. Without JavaScript the page shows the figures as
// they were when it was served. EventSource reconnects by itself (sending Last-Event-ID).
/* global document, window, EventSource, CSS */
const boxes = document.querySelectorAll('[data-performance-live]');
const lang = document.documentElement.lang === 'cy' ? 'cy-GB' : 'en-GB';
const number = new Intl.NumberFormat(lang);
const percent = new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 });
const time = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

for (const box of boxes) {
  if (!('EventSource' in window)) break;
  const source = new EventSource(box.getAttribute('data-performance-live'));
  const note = box.querySelector('[data-live-note]');
  source.addEventListener('figures', (e) => {
    let data;
    try {
      data = JSON.parse(e.data);
    } catch {
      return;
    }
    // A box watching several services marks each one's figures with data-service.
    const scope = box.querySelector('[data-service]') ? box.querySelector(`[data-service="${CSS.escape(data.service)}"]`) : box;
    if (!scope) return;
    for (const el of scope.querySelectorAll('[data-figure]')) {
      const v = data.figures?.[el.getAttribute('data-figure')];
      if (typeof v !== 'number') continue;
      el.textContent = el.getAttribute('data-kind') === 'rate' ? percent.format(v) : number.format(v);
    }
    if (note) {
      note.hidden = false;
      const when = note.querySelector('[data-live-updated]');
      if (when) when.textContent = time.format(new Date(data.at));
    }
  });
}
