/** sha256 of a model file, as the cards record it. */
import { createHash } from 'node:crypto'

export function sha256Hex(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex')
}
