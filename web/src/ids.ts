// Ids of new cases and comments: version 7 UUIDs (RFC 9562), the same
// layout as the core's FormatUuidV7. The first 48 bits are the Unix time in
// milliseconds, so ids made close in time sort close together and the
// server's id indexes grow at their right edge (docs/protocol.md "Ids").
export function uuidv7(nowMs: number = Date.now()): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  let ms = Math.max(0, Math.floor(nowMs));
  for (let i = 5; i >= 0; --i) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = 0x70 | (b[6] & 0x0f);  // version 7
  b[8] = 0x80 | (b[8] & 0x3f);  // variant 10
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-` +
      `${hex.slice(16, 20)}-${hex.slice(20)}`;
}
