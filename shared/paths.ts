/** Absolute paths inside the repository, independent of the working directory. */
import { fileURLToPath } from 'node:url'
import path from 'node:path'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const SCHEMAS_DIR = path.join(REPO_ROOT, 'schemas')
export const repoPath = (...parts: string[]): string => path.join(REPO_ROOT, ...parts)
