// The call in the browser: one WebSocket to Cityscape (signalling, the shared view, chat, the
// host's controls) and a WebRTC mesh (each participant sends audio and video to every other).
// Served as a file (the content security policy allows no inline script); the page works
// without it through its forms. Without a camera, a microphone or WebRTC at all, the shared
// view and chat still follow the room. After a network blip the socket reconnects and the
// server's welcome restores the view; peers whose media kept flowing keep their connection.
/* global document, window, location, navigator, crypto, CSS, WebSocket, RTCPeerConnection, MediaStream, FormData, setTimeout */
const lobby = document.querySelector('[data-lobby]');
const dataEl = document.getElementById('room-data');
const instance = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + String(Date.now());

function socketUrl(roomId) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/rooms/${roomId}/ws?instance=${encodeURIComponent(instance)}`;
}

if (lobby) waitInLobby(lobby);
else if (dataEl) startCall(JSON.parse(dataEl.textContent));

function waitInLobby(el) {
  const status = document.getElementById('lobby-status');
  let delay = 1000;
  const open = () => {
    const ws = new WebSocket(socketUrl(el.dataset.room));
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.t === 'admitted') location.reload();
    };
    ws.onclose = (e) => {
      if (e.code === 4403 || e.code === 4000 || e.code === 403) return location.reload();
      setTimeout(open, (delay = Math.min(delay * 2, 10000)));
    };
    ws.onopen = () => {
      delay = 1000;
      status?.setAttribute('data-connected', 'true');
    };
  };
  open();
}

function startCall(data) {
  const T = (key, params = {}) => (data.text[key] ?? key).replace(/\{(\w+)\}/g, (_, p) => (p in params ? String(params[p]) : `{${p}}`));
  const lang = data.lang === 'cy' ? 'cy-GB' : 'en-GB';
  const $ = (id) => document.getElementById(id);
  const callSection = $('call');
  const callStatus = $('call-status');
  const videos = $('videos');
  const figuresEl = $('view-figures');
  const viewStatus = $('view-status');
  const pointerEl = $('pointer');
  const chatList = $('chat-list');
  const chatForm = $('chat-form');
  const viewForm = $('view-form');
  const peopleList = $('people-list');
  const lobbyList = $('lobby-list');
  const hasRtc = typeof RTCPeerConnection === 'function';

  const state = {
    me: { id: data.me, role: data.role },
    view: null,
    version: 0,
    figures: null,
    people: new Map(), // id → { p, instance, hand, media }
    waiting: new Map(),
    ice: [],
    ws: null,
    ended: false,
    left: false,
    hand: false,
    note: '',
  };
  /** WebRTC: one connection to each other participant. */
  const peers = new Map(); // id → { pc, stream, tile, instance, pending: [] }
  let local = null; // MediaStream
  let screen = null;
  let mediaReady = null;
  window.cityscapeRoom = { peers, state };

  callSection.hidden = false;

  // ---- the socket ------------------------------------------------------------------------
  let delay = 500;
  function connect() {
    const ws = new WebSocket(socketUrl(data.room));
    state.ws = ws;
    ws.onmessage = (e) => handle(JSON.parse(e.data));
    ws.onopen = () => (delay = 500);
    ws.onclose = (e) => {
      if (state.ws !== ws) return;
      if (e.code === 4403) return finish(T('client.removed'));
      if (e.code === 4000) return finish(T('client.ended'), true);
      if (e.code === 4409) return finish(T('client.replaced'));
      if (state.left || state.ended) return;
      callStatus.textContent = T('client.reconnecting');
      setTimeout(connect, (delay = Math.min(delay * 2, 8000)));
    };
  }
  const send = (m) => state.ws?.readyState === WebSocket.OPEN && state.ws.send(JSON.stringify(m));

  function handle(m) {
    switch (m.t) {
      case 'welcome':
        state.me = m.me;
        state.ice = m.ice || [];
        state.people = new Map(m.participants.map((p) => [p.id, { p, hand: false, media: null }]));
        state.waiting = new Map((m.waiting || []).map((p) => [p.id, p]));
        applyView(m.view, m.version, m.figures, null);
        renderChat(m.chat);
        renderPeople();
        status();
        if (!mediaReady) mediaReady = startMedia();
        break;
      case 'joined':
        upsertPerson(m.p);
        state.people.get(m.p.id).cid = m.cid;
        if (m.p.id !== state.me.id) {
          announce(T('client.joinedMsg', { name: m.p.name }));
          const peer = peers.get(m.p.id);
          const alive = peer && peer.instance === m.instance && peer.pc.connectionState === 'connected';
          if (!alive) void callPeer(m.p.id, m.instance);
        }
        break;
      case 'left': {
        const who = state.people.get(m.id);
        // A socket of theirs closing after their new one opened (a reload, a reconnect) is not a departure.
        if (who?.cid && who.cid !== m.cid) break;
        dropPeer(m.id);
        if (who) {
          state.people.delete(m.id);
          announce(T('client.leftMsg', { name: who.p.name }));
          renderPeople();
        }
        break;
      }
      case 'signal':
        void onSignal(m.from, m.data);
        break;
      case 'view':
        if (m.version > state.version) {
          applyView(m.view, m.version, m.figures, m.by);
          announce(T('client.viewChanged', { name: m.by.name }), viewStatus);
        }
        break;
      case 'figures':
        state.figures = m.figures;
        renderFigures();
        break;
      case 'pointer':
        showPointer(m);
        break;
      case 'chat':
        addChat(m);
        break;
      case 'hand': {
        const who = state.people.get(m.from);
        if (who) who.hand = m.up;
        renderPeople();
        break;
      }
      case 'media': {
        const who = state.people.get(m.from);
        if (who) who.media = m;
        renderPeople();
        break;
      }
      case 'waiting':
        state.waiting.set(m.p.id, m.p);
        renderPeople();
        break;
      case 'admitted':
        state.waiting.delete(m.p.id);
        upsertPerson(m.p);
        break;
      case 'removed':
        state.waiting.delete(m.id);
        state.people.delete(m.id);
        dropPeer(m.id);
        renderPeople();
        break;
      case 'role': {
        const who = state.people.get(m.id);
        if (who) who.p.role = m.role;
        if (m.id === state.me.id) {
          state.me.role = m.role;
          location.reload(); // the page shows the presenter's form, or stops showing it
        }
        renderPeople();
        break;
      }
      case 'outcome':
        addChat({ name: m.by, text: `${m.kind === 'decision' ? '✔' : '→'} ${m.service}: ${m.text}`, at: new Date().toISOString() });
        break;
      case 'ended':
        finish(T('client.ended'), true);
        break;
      case 'error':
        announce(m.message);
        break;
    }
  }

  function upsertPerson(p) {
    const existing = state.people.get(p.id);
    if (existing) existing.p = p;
    else state.people.set(p.id, { p, hand: false, media: null });
    renderPeople();
  }

  function finish(text, ended = false) {
    state.ended = ended;
    state.left = true;
    for (const id of [...peers.keys()]) dropPeer(id);
    for (const s of [local, screen]) s?.getTracks().forEach((t) => t.stop());
    callStatus.textContent = text;
    if (ended) {
      const a = document.createElement('a');
      a.className = 'govuk-link';
      a.href = `/rooms/${data.room}/summary`;
      a.textContent = T('client.ended');
      callStatus.replaceChildren(document.createTextNode(`${text} `), a);
    }
    for (const b of callSection.querySelectorAll('button')) b.disabled = true;
  }

  function status() {
    if (state.left) return;
    callStatus.textContent = [T('client.connected', { count: state.people.size }), state.note].filter(Boolean).join(' ');
  }
  function announce(text, where = callStatus) {
    where.textContent = text;
  }

  // ---- the shared view ---------------------------------------------------------------------
  function applyView(view, version, figures, by) {
    state.view = view;
    state.version = version;
    if (figures) state.figures = figures;
    renderFigures();
    syncForm();
    if (by) {
      const history = $('view-history');
      const li = document.createElement('li');
      li.textContent = T('view.changedBy', { name: by.name, time: new Date().toISOString().slice(0, 19).replace('T', ' ') }) + ' UTC';
      if (history.firstElementChild?.textContent === T('view.noChanges')) history.replaceChildren();
      history.prepend(li);
    }
  }

  const RATES = new Set(['completionRate', 'userSatisfaction', 'digitalTakeUp']);
  function fmt(kpi, v) {
    if (v === null || v === undefined || !Number.isFinite(v)) return T('view.noData');
    if (RATES.has(kpi)) return new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 }).format(v);
    if (kpi === 'costPerTransaction') return new Intl.NumberFormat(lang, { style: 'currency', currency: 'GBP' }).format(v);
    return new Intl.NumberFormat(lang).format(Math.round(v));
  }
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  function renderFigures() {
    const view = state.view;
    if (!view) return;
    const tables = view.services.map((id) => {
      const f = state.figures?.services?.[id];
      const table = el('table', 'govuk-table cs-room-figures');
      table.dataset.service = id;
      table.append(el('caption', 'govuk-table__caption govuk-table__caption--s', data.names[id] ?? id));
      const head = el('thead', 'govuk-table__head');
      const hr = el('tr', 'govuk-table__row');
      const th = (text, numeric) => {
        const c = el('th', `govuk-table__header${numeric ? ' govuk-table__header--numeric' : ''}`, text);
        c.scope = 'col';
        return c;
      };
      hr.append(th(T('view.measure')), th(T(`period.${view.period}`), true));
      if (view.filters.compare) hr.append(th(T('view.previous'), true));
      head.append(hr);
      const body = el('tbody', 'govuk-table__body');
      for (const kpi of view.kpis) {
        const highlighted = view.highlight?.service === id && view.highlight?.kpi === kpi;
        const tr = el('tr', `govuk-table__row${highlighted ? ' cs-room-hl' : ''}`);
        tr.dataset.kpi = kpi;
        const name = el('th', 'govuk-table__header', T(`kpi.${kpi}`));
        name.scope = 'row';
        if (highlighted) name.append(' ', el('strong', 'govuk-tag govuk-tag--yellow', T('view.highlighted')));
        const point = el('button', 'govuk-button govuk-button--secondary govuk-!-margin-bottom-0 govuk-!-margin-left-2 cs-room-point', '☞');
        point.type = 'button';
        point.setAttribute('aria-label', `${T('client.point')}: ${data.names[id] ?? ''} ${T(`kpi.${kpi}`)}`);
        point.addEventListener('click', () => send({ t: 'pointer', target: { service: id, kpi } }));
        name.append(point);
        const value = el('td', 'govuk-table__cell govuk-table__cell--numeric', fmt(kpi, f?.current?.[kpi]));
        value.dataset.figure = kpi;
        tr.append(name, value);
        if (view.filters.compare) tr.append(el('td', 'govuk-table__cell govuk-table__cell--numeric', fmt(kpi, f?.previous?.[kpi])));
        body.append(tr);
      }
      table.append(head, body);
      return table;
    });
    figuresEl.replaceChildren(...tables);
    figuresEl.dataset.version = String(state.version);
    if (state.figures?.at) viewStatus.dataset.at = state.figures.at;
  }

  function showPointer(m) {
    for (const r of figuresEl.querySelectorAll('.cs-room-pointed')) r.classList.remove('cs-room-pointed');
    if (!m.target) return (pointerEl.textContent = '');
    const row = figuresEl.querySelector(`table[data-service="${CSS.escape(m.target.service)}"] tr[data-kpi="${CSS.escape(m.target.kpi)}"]`);
    row?.classList.add('cs-room-pointed');
    pointerEl.textContent = T('client.pointer', {
      name: m.name,
      target: `${data.names[m.target.service] ?? ''} ${T(`kpi.${m.target.kpi}`)}`,
    });
  }

  /** The presenter's form follows the view, and (with JavaScript) changes it over the socket. */
  function syncForm() {
    if (!viewForm || !state.view) return;
    const v = state.view;
    for (const box of viewForm.querySelectorAll('input[name="services"]')) box.checked = v.services.includes(box.value);
    for (const box of viewForm.querySelectorAll('input[name="kpis"]')) box.checked = v.kpis.includes(box.value);
    for (const r of viewForm.querySelectorAll('input[name="period"]')) r.checked = r.value === v.period;
    const compare = viewForm.querySelector('input[name="compare"]');
    if (compare) compare.checked = v.filters.compare;
    const hl = viewForm.querySelector('select[name="highlight"]');
    if (hl) hl.value = v.highlight ? `${v.highlight.service}|${v.highlight.kpi}` : '';
  }
  viewForm?.addEventListener('submit', (e) => {
    if (state.ws?.readyState !== WebSocket.OPEN) return; // the form posts instead
    e.preventDefault();
    const f = new FormData(viewForm);
    const services = f.getAll('services');
    const kpis = f.getAll('kpis');
    const [hs, hk] = String(f.get('highlight') || '').split('|');
    send({
      t: 'view',
      view: {
        services,
        kpis,
        period: f.get('period'),
        filters: { compare: f.get('compare') === 'yes' },
        highlight: hs && services.includes(hs) && kpis.includes(hk) ? { service: hs, kpi: hk } : null,
      },
    });
  });

  // ---- chat ----------------------------------------------------------------------------------
  function addChat(m) {
    chatList.querySelector('.cs-room-empty')?.remove();
    const li = el('li');
    li.append(el('strong', null, m.name), ' ', el('span', 'govuk-body-s', String(m.at).slice(0, 16).replace('T', ' ')), el('br'), m.text);
    chatList.append(li);
    chatList.scrollTop = chatList.scrollHeight;
  }
  function renderChat(messages) {
    chatList.replaceChildren();
    if (!messages.length) chatList.append(el('li', 'cs-room-empty', T('client.noChat')));
    for (const m of messages) addChat(m);
  }
  chatForm?.addEventListener('submit', (e) => {
    if (state.ws?.readyState !== WebSocket.OPEN) return;
    e.preventDefault();
    const box = chatForm.querySelector('textarea');
    if (!box.value.trim()) return box.focus();
    send({ t: 'chat', text: box.value });
    box.value = '';
  });

  // ---- people --------------------------------------------------------------------------------
  function hostButton(text, label, cls, m) {
    const b = el('button', `govuk-button ${cls} govuk-!-margin-bottom-1 govuk-!-margin-left-1`, text);
    b.type = 'button';
    b.append(el('span', 'govuk-visually-hidden', `: ${label}`));
    b.addEventListener('click', () => send(m));
    return b;
  }
  function renderPeople() {
    const host = state.me.role === 'host';
    const items = [...state.people.values()].map(({ p, hand, media }) => {
      const li = el('li');
      li.dataset.participant = p.id;
      li.append(
        el('span', 'cs-room-name', p.id === state.me.id ? `${p.name} (${T('client.you')})` : p.name),
        ' ',
        el('span', 'govuk-body-s', `(${T(`role.${p.role}`)})`),
      );
      const flags = [hand ? T('client.handUp') : null, media && !media.audio ? T('client.muted') : null].filter(Boolean);
      if (flags.length) li.append(' ', el('strong', 'govuk-tag govuk-tag--yellow', flags.join(', ')));
      if (host && p.id !== state.me.id) {
        if (p.kind === 'guest')
          li.append(
            hostButton(T(p.role === 'presenter' ? 'people.makeParticipant' : 'people.makePresenter'), p.name, 'govuk-button--secondary', {
              t: 'role',
              id: p.id,
              role: p.role === 'presenter' ? 'participant' : 'presenter',
            }),
          );
        li.append(hostButton(T('people.remove'), p.name, 'govuk-button--warning', { t: 'remove', id: p.id }));
      }
      return li;
    });
    peopleList.replaceChildren(...items);
    if (lobbyList && host) {
      const waiting = [...state.waiting.values()].map((p) => {
        const li = el('li', null, p.name);
        li.dataset.waiting = p.id;
        li.append(
          hostButton(T('people.admit'), p.name, '', { t: 'admit', id: p.id }),
          hostButton(T('people.refuse'), p.name, 'govuk-button--secondary', { t: 'refuse', id: p.id }),
        );
        return li;
      });
      lobbyList.replaceChildren(...(waiting.length ? waiting : [el('li', 'cs-room-empty', T('people.noneWaiting'))]));
    }
    for (const [id, peer] of peers) {
      const who = state.people.get(id);
      peer.tile?.classList.toggle('cs-room-tile--hand', !!who?.hand);
    }
    status();
  }

  // ---- media and WebRTC ------------------------------------------------------------------
  async function startMedia() {
    if (!hasRtc || !navigator.mediaDevices?.getUserMedia) {
      state.note = T(hasRtc ? 'client.noMedia' : 'client.noWebrtc');
      controls.mic.hidden = controls.camera.hidden = controls.screen.hidden = true;
      return status();
    }
    for (const constraints of [{ audio: true, video: true }, { audio: true }, { video: true }]) {
      try {
        local = await navigator.mediaDevices.getUserMedia(constraints);
        break;
      } catch {
        local = null;
      }
    }
    if (!local) {
      state.note = T('client.noMedia');
      status();
    }
    const tile = addTile('self', `${T('client.you')}`, true);
    if (local) tile.video.srcObject = local;
    sendMedia();
  }

  function addTile(id, name, self = false) {
    let fig = videos.querySelector(`[data-tile="${CSS.escape(id)}"]`);
    if (!fig) {
      fig = el('figure', 'cs-room-tile');
      fig.dataset.tile = id;
      const video = el('video');
      video.autoplay = true;
      video.playsInline = true;
      video.muted = self; // never play your own microphone back
      fig.append(video, el('figcaption', null, name));
      videos.append(fig);
    }
    return { fig, video: fig.querySelector('video') };
  }

  function newPeer(id, theirInstance) {
    dropPeer(id);
    const pc = new RTCPeerConnection({ iceServers: state.ice });
    const stream = new MediaStream();
    const who = state.people.get(id);
    const { fig, video } = addTile(id, who?.p.name ?? '');
    video.srcObject = stream;
    const peer = { pc, stream, tile: fig, instance: theirInstance, pending: [] };
    peers.set(id, peer);
    pc.onicecandidate = (e) => e.candidate && send({ t: 'signal', to: id, data: { kind: 'candidate', candidate: e.candidate.toJSON() } });
    pc.ontrack = (e) => {
      stream.addTrack(e.track);
      video.srcObject = stream;
    };
    pc.onconnectionstatechange = () => {
      // A lost path (not a closed page): try again once the socket is back.
      if (pc.connectionState === 'failed' && peers.get(id) === peer && state.ws?.readyState === WebSocket.OPEN)
        void callPeer(id, peer.instance);
    };
    return peer;
  }

  function dropPeer(id) {
    const peer = peers.get(id);
    if (!peer) return;
    peers.delete(id);
    peer.pc.close();
    peer.tile?.remove();
  }

  const track = (kind) =>
    (kind === 'video' && screen ? screen.getVideoTracks()[0] : local?.getTracks().find((t) => t.kind === kind)) ?? null;

  /** The one already here calls the newcomer (so two never call each other at once). */
  async function callPeer(id, theirInstance) {
    if (!hasRtc) return;
    await mediaReady;
    const peer = newPeer(id, theirInstance);
    for (const kind of ['audio', 'video']) {
      const t = track(kind);
      peer.pc.addTransceiver(t ?? kind, { direction: 'sendrecv', streams: local ? [local] : [] });
    }
    const offer = await peer.pc.createOffer();
    await peer.pc.setLocalDescription(offer);
    send({ t: 'signal', to: id, data: { kind: 'offer', sdp: peer.pc.localDescription.sdp, instance } });
  }

  async function onSignal(from, d) {
    if (!hasRtc || !d) return;
    await mediaReady;
    if (d.kind === 'offer') {
      const peer = newPeer(from, d.instance);
      await peer.pc.setRemoteDescription({ type: 'offer', sdp: d.sdp });
      for (const tr of peer.pc.getTransceivers()) {
        const kind = tr.receiver.track.kind;
        tr.direction = 'sendrecv';
        await tr.sender.replaceTrack(track(kind));
        if (local) tr.sender.setStreams?.(local);
      }
      await peer.pc.setLocalDescription(await peer.pc.createAnswer());
      send({ t: 'signal', to: from, data: { kind: 'answer', sdp: peer.pc.localDescription.sdp } });
      for (const c of peer.pending.splice(0)) await peer.pc.addIceCandidate(c).catch(() => {});
    } else if (d.kind === 'answer') {
      const peer = peers.get(from);
      if (!peer || peer.pc.signalingState !== 'have-local-offer') return;
      await peer.pc.setRemoteDescription({ type: 'answer', sdp: d.sdp });
      for (const c of peer.pending.splice(0)) await peer.pc.addIceCandidate(c).catch(() => {});
    } else if (d.kind === 'candidate') {
      const peer = peers.get(from);
      if (!peer) return;
      if (!peer.pc.remoteDescription) peer.pending.push(d.candidate);
      else await peer.pc.addIceCandidate(d.candidate).catch(() => {});
    }
  }

  function sendMedia() {
    const a = local?.getAudioTracks()[0];
    const v = local?.getVideoTracks()[0];
    send({ t: 'media', audio: !!a?.enabled, video: !!v?.enabled || !!screen, screen: !!screen });
  }

  async function replaceVideo(t) {
    for (const { pc } of peers.values())
      for (const tr of pc.getTransceivers()) if (tr.receiver.track.kind === 'video') await tr.sender.replaceTrack(t);
  }

  const controls = Object.fromEntries([...callSection.querySelectorAll('[data-control]')].map((b) => [b.dataset.control, b]));
  const toggle = (b, on, onText, offText) => {
    b.setAttribute('aria-pressed', String(on));
    b.textContent = on ? onText : offText;
  };
  controls.mic?.addEventListener('click', () => {
    const a = local?.getAudioTracks()[0];
    if (!a) return announce(T('client.noMedia'));
    a.enabled = !a.enabled;
    toggle(controls.mic, !a.enabled, T('client.unmute'), T('client.mute'));
    sendMedia();
  });
  controls.camera?.addEventListener('click', () => {
    const v = local?.getVideoTracks()[0];
    if (!v) return announce(T('client.noMedia'));
    v.enabled = !v.enabled;
    toggle(controls.camera, !v.enabled, T('client.cameraOn'), T('client.cameraOff'));
    sendMedia();
  });
  controls.screen?.addEventListener('click', async () => {
    if (screen) {
      screen.getTracks().forEach((t) => t.stop());
      screen = null;
      await replaceVideo(local?.getVideoTracks()[0] ?? null);
      toggle(controls.screen, false, T('client.stopShare'), T('client.share'));
      return sendMedia();
    }
    if (!navigator.mediaDevices?.getDisplayMedia) return announce(T('client.noMedia'));
    try {
      screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
    } catch {
      return;
    }
    const t = screen.getVideoTracks()[0];
    t.addEventListener('ended', () => controls.screen.getAttribute('aria-pressed') === 'true' && controls.screen.click());
    await replaceVideo(t);
    toggle(controls.screen, true, T('client.stopShare'), T('client.share'));
    sendMedia();
  });
  controls.hand?.addEventListener('click', () => {
    state.hand = !state.hand;
    toggle(controls.hand, state.hand, T('client.lowerHand'), T('client.hand'));
    send({ t: 'hand', up: state.hand });
  });
  controls.leave?.addEventListener('click', () => {
    state.left = true;
    state.ws?.close(1000, 'left');
    finish(T('client.left'));
  });

  connect();
}
