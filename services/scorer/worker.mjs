// Worker-thread entry: the sources are TypeScript, so register tsx in this thread before loading them.
import { register } from 'tsx/esm/api'

register()
await import('./worker-impl.ts')
