// The ICE servers each participant's browser is given: STUN for finding its public address and
// TURN (coturn) to relay media when no direct path exists. With coturn's `use-auth-secret`,
// each participant gets a time-limited credential (the TURN REST API scheme coturn implements:
// username "<expiry>:<participant>", password base64(HMAC-SHA1(secret, username))).
import { createHmac } from 'node:crypto';
import type { RoomsConfig } from '../../config.js';

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** A credential lasts this long; a call longer than that keeps its existing relayed connections. */
export const TURN_TTL_SECONDS = 12 * 3600;

export function iceServers(config: RoomsConfig | undefined, participantId: string, now = Date.now()): IceServer[] {
  const urls = config?.iceUrls ?? [];
  const stun = urls.filter((u) => u.startsWith('stun'));
  const turn = urls.filter((u) => u.startsWith('turn'));
  const out: IceServer[] = [];
  if (stun.length) out.push({ urls: stun });
  if (turn.length) {
    if (config?.turnSecret) {
      const username = `${Math.floor(now / 1000) + TURN_TTL_SECONDS}:${participantId}`;
      const credential = createHmac('sha1', config.turnSecret).update(username).digest('base64');
      out.push({ urls: turn, username, credential });
    } else if (config?.turnUsername && config?.turnCredential) {
      out.push({ urls: turn, username: config.turnUsername, credential: config.turnCredential });
    } else out.push({ urls: turn });
  }
  return out;
}
