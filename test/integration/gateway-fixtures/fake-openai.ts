/**
 * A local OpenAI-compatible server (test fixture): POST /v1/chat/completions answers each known
 * question after `delayMs`, with fixed token counts, like the real API's non-streaming response.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeOpenAi {
  url: string
  requests: number
  close(): Promise<void>
}

export const ANSWERS: Record<string, { answer: string; promptTokens: number; completionTokens: number }> = {
  'What is the capital of France?': { answer: 'Paris is the capital of France.', promptTokens: 23, completionTokens: 7 },
  'How many legs does a spider have?': { answer: 'A spider has eight legs.', promptTokens: 25, completionTokens: 6 },
}

export async function startFakeOpenAi(delayMs = 120): Promise<FakeOpenAi> {
  const state = { requests: 0 }
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      state.requests++
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }))
        return
      }
      const params = JSON.parse(body) as { model: string; messages: { role: string; content: string }[] }
      const question = params.messages.filter((m) => m.role === 'user').at(-1)?.content ?? ''
      const a = ANSWERS[question] ?? { answer: 'I do not know.', promptTokens: 10, completionTokens: 4 }
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: `chatcmpl-${state.requests}`,
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model: `${params.model}-2024-07-18`,
            choices: [{ index: 0, message: { role: 'assistant', content: a.answer }, finish_reason: 'stop' }],
            usage: { prompt_tokens: a.promptTokens, completion_tokens: a.completionTokens, total_tokens: a.promptTokens + a.completionTokens },
          }),
        )
      }, delayMs)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return state.requests
    },
    close: () => new Promise((r) => server.close(() => r())),
  }
}
