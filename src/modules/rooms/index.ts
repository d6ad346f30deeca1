// The rooms module: a video call with front-line staff where everyone sees the same live
// dashboard, held on the server. Staff create rooms for services and invite people through
// Notify; WebRTC carries audio and video (a mesh up to six, an SFU adapter beyond); the
// WebSocket carries signalling, the shared view, chat and the host's decisions, fanned out
// between processes through PostgreSQL LISTEN/NOTIFY. Other modules import only this file.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernel, Module } from '../../kernel/module.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { NotifyService } from '../notify/index.js';
import { createHub } from './hub.js';
import { createFigureWatch, type PerformanceLike } from './figures.js';
import { createRoomsService } from './service.js';
import { roomSocket } from './socket.js';
import { roomPages } from './pages.js';
import { roomsConsole } from './admin.js';
import { livekitAdapter, type SfuAdapter } from './sfu.js';
import { store } from './store.js';

export type { RoomsService } from './service.js';
export type { SharedView } from './view.js';
export type { SfuAdapter, SfuJoin } from './sfu.js';

export interface RoomsDeps extends Kernel {
  catalogue: CatalogueService;
  notify: NotifyService;
  performance: PerformanceLike;
  /** For calls larger than the mesh; by default LiveKit when configured. */
  sfu?: SfuAdapter;
}

const here = dirname(fileURLToPath(import.meta.url));

export function createRoomsModule(deps: RoomsDeps) {
  const { catalogue, notify, performance, ...kernel } = deps;
  const hub = createHub({ db: kernel.db, log: kernel.log });
  const service = createRoomsService({ ...kernel, catalogue, notify, performance, hub });
  const figures = createFigureWatch({ perf: performance, log: kernel.log });
  const lk = kernel.config.rooms?.livekit;
  const sfu = deps.sfu ?? (lk ? livekitAdapter(lk) : undefined);
  let pruner: NodeJS.Timeout | undefined;

  const module: Module & { service: typeof service; hub: typeof hub } = {
    name: 'rooms',
    migrations: join(here, 'migrations'),
    staffAreas: [{ href: '/admin/rooms', label: 'rooms.console.title' }],
    service,
    hub,
    async routes(app) {
      await roomSocket(app, { k: kernel, catalogue, rooms: service, hub, perf: performance, figures, sfu });
      roomPages(app, kernel, catalogue, service, performance);
      roomsConsole(app, kernel, catalogue, service);
      app.addHook('onClose', async () => {
        if (pruner) clearInterval(pruner);
        figures.stop();
        await hub.stop();
      });
    },
    async startWorkers() {
      pruner = setInterval(() => void store.pruneRelay(kernel.db).catch(() => {}), 60_000);
      pruner.unref();
    },
  };
  return module;
}
export type RoomsModule = ReturnType<typeof createRoomsModule>;
