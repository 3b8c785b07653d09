/**
 * `code-assistant`: an IDE assistant. Chat calls answer programming questions with code blocks;
 * inline completions (`text_completion`) complete a snippet at the cursor on a fast, cheap model.
 */
import type { Rng } from '../prng.js'
import { FILES, NOUNS, VERBS } from '../words.js'
import type { AppSpec, Draft } from './types.js'

interface Ids {
  fn: string; noun: string; lower: string; n: number; ms: number; file: string; line: number
  /** A numeric column/field, a grouping key and a timestamp column. */
  col: string; key: string; ts: string; field: string
}

function ids(r: Rng): Ids {
  const noun = r.pick(NOUNS)
  return {
    fn: `${r.pick(VERBS)}${noun}${r.pick(['', 's', 'ById', 'Batch', 'ForTenant', 'Page'])}`, noun, lower: noun.toLowerCase(),
    n: r.int(2, 25), ms: r.pick([100, 200, 250, 300, 500, 750, 1000, 2000]), file: r.pick(FILES), line: r.int(12, 480),
    col: r.pick(['amount', 'total', 'price', 'duration_ms', 'score', 'quantity', 'net_value', 'weight_kg']),
    key: r.pick(['customer_id', 'account_id', 'user_id', 'tenant_id', 'region', 'merchant_id', 'project_id']),
    ts: r.pick(['created_at', 'updated_at', 'event_time', 'processed_at', 'inserted_at']),
    field: r.pick(['items', 'results', 'data', 'rows', 'entries', 'records']),
  }
}

interface CodeTask {
  readonly id: string
  ask(r: Rng, i: Ids): string
  answer(r: Rng, i: Ids): string
}

const TASKS: readonly CodeTask[] = [
  {
    id: 'retry_backoff',
    ask: (r, i) => r.pick([
      `How do I retry ${i.fn}() with exponential backoff in TypeScript? It calls a flaky HTTP API.`,
      `write a retry helper for async functions, max ${i.n} attempts, exponential backoff with jitter`,
    ]),
    answer: (r, i) => `${r.pick(['Here is a small, dependency-free helper.', 'You can wrap the call in a generic retry function.'])} It doubles the delay after each failure, adds jitter so that many clients do not retry in lockstep, and rethrows the last error:\n\n\`\`\`ts\nexport async function retry<T>(fn: () => Promise<T>, attempts = ${i.n}, baseMs = ${i.ms}): Promise<T> {\n  let lastError: unknown\n  for (let attempt = 0; attempt < attempts; attempt++) {\n    try {\n      return await fn()\n    } catch (err) {\n      lastError = err\n      const delay = baseMs * 2 ** attempt * (0.5 + Math.random())\n      await new Promise((resolve) => setTimeout(resolve, delay))\n    }\n  }\n  throw lastError\n}\n\nconst ${i.lower} = await retry(() => ${i.fn}(id))\n\`\`\`\n\nOnly retry errors that are transient (timeouts, 429, 503); a 400 will fail the same way every time, so check the status before sleeping.`,
  },
  {
    id: 'python_group_by',
    ask: (r, i) => r.pick([
      `In pandas, how can I get the top ${i.n} ${i.lower}s per ${i.key} by ${i.col}?`,
      `python: group a list of ${i.lower} dicts by ${i.key} and sum the ${i.col}`,
    ]),
    answer: (r, i) => `${r.pick(['Sort first, then take the head of each group:', 'With pandas this is a sort followed by a grouped head():'])}\n\n\`\`\`python\nimport pandas as pd\n\ndf = pd.DataFrame(${i.lower}s)\ntop = (\n    df.sort_values("${i.col}", ascending=False)\n      .groupby("${i.key}", as_index=False)\n      .head(${i.n})\n)\ntotals = df.groupby("${i.key}")["${i.col}"].sum().reset_index(name="total_${i.col}")\n\`\`\`\n\n\`head(${i.n})\` keeps the first ${i.n} rows of each group in the sorted order. If you only need totals, the second expression is enough and avoids the sort, which matters once the frame has millions of rows.`,
  },
  {
    id: 'sql_window',
    ask: (r, i) => r.pick([
      `SQL question: latest ${i.lower} per ${i.key}, PostgreSQL. I tried GROUP BY but I lose the other columns.`,
      `how to select the most recent row per group in postgres`,
    ]),
    answer: (r, i) => `${r.pick(['Use a window function or DISTINCT ON.', 'GROUP BY collapses rows, so you need a window function instead.'])}\n\n\`\`\`sql\nSELECT *\nFROM (\n  SELECT t.*, row_number() OVER (PARTITION BY ${i.key} ORDER BY ${i.ts} DESC) AS rn\n  FROM ${i.lower}s t\n) ranked\nWHERE rn = 1;\n\n-- PostgreSQL only, usually faster with an index on (${i.key}, ${i.ts} DESC):\nSELECT DISTINCT ON (${i.key}) *\nFROM ${i.lower}s\nORDER BY ${i.key}, ${i.ts} DESC;\n\`\`\`\n\nChange \`rn = 1\` to \`rn <= ${i.n}\` if you want the latest ${i.n} per ${i.key}.`,
  },
  {
    id: 'ts_undefined_error',
    ask: (r, i) => r.pick([
      `Getting "TypeError: Cannot read properties of undefined (reading 'map')" at ${i.file}:${i.line}. The ${i.lower}s come from an API call.`,
      `why is ${i.lower}s undefined here? crash on first render in ${i.file} line ${i.line}`,
    ]),
    answer: (r, i) => `${r.pick(['The array is not there yet when the code runs:', 'This error means the value is still undefined at that point:'])} the request for ${i.lower}s has not resolved on the first render (or the API returned an object without the field).\n\n\`\`\`ts\nconst [${i.lower}s, set${i.noun}s] = useState<${i.noun}[]>([])\n\nuseEffect(() => {\n  ${i.fn}().then((res) => set${i.noun}s(res.${i.field} ?? []))\n}, [])\n\nreturn <ul>{${i.lower}s.map((x) => <li key={x.id}>{x.name}</li>)}</ul>\n\`\`\`\n\nInitialising the state with an empty array and defaulting \`res.${i.field}\` removes the crash. If the API can legitimately return no field, validate the response shape (for example with zod) instead of trusting it.`,
  },
  {
    id: 'go_context_timeout',
    ask: (r, i) => r.pick([
      `In Go, how do I put a ${i.ms}ms timeout on ${i.fn}? It sometimes hangs forever.`,
      `golang context with timeout for a database query, best practice?`,
    ]),
    answer: (r, i) => `${r.pick(['Pass a context with a deadline and make sure the callee honours it.', 'Use context.WithTimeout and always call cancel.'])}\n\n\`\`\`go\nctx, cancel := context.WithTimeout(ctx, ${i.ms}*time.Millisecond)\ndefer cancel()\n\n${i.lower}, err := store.${i.fn[0]?.toUpperCase()}${i.fn.slice(1)}(ctx, id)\nif errors.Is(err, context.DeadlineExceeded) {\n    return nil, fmt.Errorf("${i.lower} lookup timed out after %v: %w", ${i.ms}*time.Millisecond, err)\n}\n\`\`\`\n\nThe timeout only works if every call underneath accepts the context (database/sql's QueryContext, http.NewRequestWithContext). A function that ignores ctx will still hang.`,
  },
  {
    id: 'debounce',
    ask: (r, i) => r.pick([
      `Debounce a search input in React so ${i.fn} isn't called on every keystroke`,
      `What's the simplest debounce implementation, ${i.ms}ms delay?`,
    ]),
    answer: (r, i) => `${r.pick(['A debounce only fires after the input has been quiet for the delay:', 'Here is a minimal typed version:'])}\n\n\`\`\`ts\nexport function debounce<A extends unknown[]>(fn: (...args: A) => void, waitMs = ${i.ms}) {\n  let timer: ReturnType<typeof setTimeout> | undefined\n  return (...args: A) => {\n    clearTimeout(timer)\n    timer = setTimeout(() => fn(...args), waitMs)\n  }\n}\n\nconst search = debounce((q: string) => ${i.fn}(q), ${i.ms})\n\`\`\`\n\nIn React, create it once with \`useMemo\` so that re-renders don't make a new timer each time.`,
  },
]

const COMPLETIONS: readonly ((r: Rng, i: Ids) => [string, string])[] = [
  (_r, i) => [`export function ${i.fn}(items: ${i.noun}[]): number {\n  `, `return items.reduce((sum, item) => sum + item.${i.col}, 0) / ${i.n}\n}`],
  (_r, i) => [`def ${i.fn.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())}(rows):\n    `, `return [row for row in rows if row.get("${i.col}", 0) > ${i.ms}][:${i.n}]`],
  (_r, i) => [`func (s *Store) ${i.noun}Count(ctx context.Context) (int, error) {\n\t`, `var n int\n\terr := s.db.QueryRowContext(ctx, "SELECT count(*) FROM ${i.lower}s WHERE ${i.ts} > now() - interval '${i.n} days'").Scan(&n)\n\treturn n, err\n}`],
  (_r, i) => [`const ${i.lower}ById = new Map<string, ${i.noun}>()\nfor (const x of ${i.lower}s) `, `if (x.${i.col} > ${i.ms}) ${i.lower}ById.set(x.${i.key.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())}, x)`],
  (_r, i) => [`it('${i.fn} returns ${i.n} items', async () => {\n  `, `const result = await ${i.fn}({ limit: ${i.n}, timeoutMs: ${i.ms} })\n  expect(result.${i.field}).toHaveLength(${i.n})\n})`],
]

const SYSTEM = `You are a senior software engineer helping a colleague inside their editor. Give correct, idiomatic code with a short explanation. Prefer the standard library. Point out pitfalls briefly. Use fenced code blocks with a language tag.`

export const codeAssistant: AppSpec = {
  name: 'code-assistant',
  weight: 0.2,
  models: [['claude-sonnet-4-20250514', 0.5], ['gpt-4o', 0.3], ['mistral-large-latest', 0.2]],
  cacheable: false,
  build(rng, _user, opts): Draft {
    const i = ids(rng)
    if (rng.chance(0.3)) {
      const [prefix, completion] = rng.pick(COMPLETIONS)(rng, i)
      return {
        operation: 'text_completion',
        messages: [{ role: 'user', content: `// ${i.file}\n${prefix}` }],
        response: completion,
        context: [],
        samples: [],
        finish: 'stop',
        templateId: 'code.fim',
        templateVersion: '2',
        streaming: false,
        attributes: { 'app.topic': 'inline_completion', 'code.file': i.file },
        model: 'codestral-latest',
      }
    }
    const t = rng.pick(TASKS)
    const messages: Draft['messages'] = [{ role: 'system', content: SYSTEM }]
    if (rng.chance(0.3)) messages.push({ role: 'user', content: `Context: I'm working in ${i.file}.` }, { role: 'assistant', content: 'Got it — what do you need?' })
    messages.push({ role: 'user', content: t.ask(rng, i) })
    return {
      operation: 'chat',
      messages,
      response: t.answer(rng, i),
      context: [],
      samples: opts.withSamples ? Array.from({ length: rng.int(3, 4) }, () => t.answer(rng, i)) : [],
      finish: 'stop',
      templateId: 'code.chat',
      templateVersion: rng.chance(0.5) ? '5' : '6',
      streaming: true,
      attributes: { 'app.topic': t.id, 'code.language': t.id.startsWith('python') ? 'python' : t.id.startsWith('go') ? 'go' : t.id.startsWith('sql') ? 'sql' : 'typescript' },
    }
  },
}
