// Calls larger than a mesh (each browser sends its media to every other, which stops scaling
// past about six people) go through a selective forwarding unit instead. The room keeps its
// shared view, chat and record on Cityscape either way; only the media path changes. An SFU
// adapter says where the browser connects and with what token. LiveKit's adapter issues its
// access token (a JWT, HS256 with the API secret, carrying a `video` grant for one room), which
// the LiveKit browser SDK takes with the server URL: `room.connect(url, token)`.
import { SignJWT } from 'jose';

export interface SfuJoin {
  /** Which SFU; the browser picks its client by this. */
  kind: string;
  url: string;
  token: string;
}

export interface SfuAdapter {
  kind: string;
  /** Credentials for one participant to join the SFU room that carries this Cityscape room's media. */
  join(input: { roomId: string; participantId: string; name: string; canPublish: boolean }): Promise<SfuJoin>;
}

/** The largest call carried by the mesh; larger calls need an SFU adapter. */
export const MESH_LIMIT = 6;

export function livekitAdapter(opts: { url: string; apiKey: string; apiSecret: string; ttlSeconds?: number }): SfuAdapter {
  return {
    kind: 'livekit',
    async join({ roomId, participantId, name, canPublish }) {
      const token = await new SignJWT({
        name,
        video: { room: `cityscape-${roomId}`, roomJoin: true, canPublish, canSubscribe: true, canPublishData: true },
      })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(opts.apiKey)
        .setSubject(participantId)
        .setNotBefore(Math.floor(Date.now() / 1000) - 10)
        .setExpirationTime(`${opts.ttlSeconds ?? 6 * 3600}s`)
        .sign(new TextEncoder().encode(opts.apiSecret));
      return { kind: 'livekit', url: opts.url, token };
    },
  };
}
