/** Reads a JSONL eval file into objects (one per non-empty line). */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

export async function readJsonl<T>(dir: string, file: string): Promise<T[]> {
  const text = await readFile(join(dir, file), 'utf8')
  const out: T[] = []
  for (const line of text.split('\n')) if (line.trim().length > 0) out.push(JSON.parse(line) as T)
  return out
}
