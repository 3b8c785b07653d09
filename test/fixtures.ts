/** Small hand-built events for tests (the realistic generator lives in shared/traffic). */
import { randomUUID } from 'node:crypto'
import type { LlmInteraction } from '../shared/contract.js'

export function interaction(over: Partial<LlmInteraction> = {}): LlmInteraction {
  const start = Date.now() - 2000
  return {
    event_id: randomUUID(),
    app_name: 'support-bot',
    environment: 'production',
    provider_name: 'openai',
    operation_name: 'chat',
    request_model: 'gpt-4o-mini',
    response_model: 'gpt-4o-mini-2024-07-18',
    response_id: null,
    response_finish_reasons: ['stop'],
    usage_input_tokens: 120,
    usage_output_tokens: 80,
    usage_cached_input_tokens: 0,
    request_start_time: start,
    first_token_time: start + 300,
    end_time: start + 1500,
    trace_id: null,
    span_id: null,
    session_id: 'sess-1',
    user_id_hash: null,
    prompt_template_id: 'support-answer',
    prompt_template_version: '3',
    messages: [
      { role: 'system', content: 'You are a helpful support assistant.' },
      { role: 'user', content: 'How do I reset my password?' },
    ],
    response_text: 'Open Settings, choose Security, then Reset password. You will get a confirmation mail.',
    retrieved_context: [],
    sampled_responses: [],
    cache_hit: false,
    status: 'ok',
    error_type: null,
    attributes: {},
    ...over,
  }
}
