/**
 * A small LLM app as users write them: the real `openai` client, instrumented by the official
 * `@opentelemetry/instrumentation-openai`, exporting spans and log records over OTLP/HTTP to the
 * llmwatch gateway. CommonJS and plain node, so the instrumentation hooks `require('openai')` the
 * usual way. Environment: GATEWAY_URL, GATEWAY_KEY, OPENAI_BASE_URL, OTLP_ENCODING (proto|json),
 * SERVICE_NAME, QUESTIONS (JSON array of user messages). Prints one JSON line per answer.
 */
'use strict'
const { NodeTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-node')
const { LoggerProvider, BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs')
const { resourceFromAttributes } = require('@opentelemetry/resources')
const { registerInstrumentations } = require('@opentelemetry/instrumentation')
const { OpenAIInstrumentation } = require('@opentelemetry/instrumentation-openai')

const json = process.env.OTLP_ENCODING === 'json'
const { OTLPTraceExporter } = require(json ? '@opentelemetry/exporter-trace-otlp-http' : '@opentelemetry/exporter-trace-otlp-proto')
const { OTLPLogExporter } = require(json ? '@opentelemetry/exporter-logs-otlp-http' : '@opentelemetry/exporter-logs-otlp-proto')

const headers = { Authorization: `Bearer ${process.env.GATEWAY_KEY}` }
const resource = resourceFromAttributes({ 'service.name': process.env.SERVICE_NAME, 'deployment.environment.name': 'staging', 'service.version': '1.2.3' })
const tracerProvider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${process.env.GATEWAY_URL}/v1/traces`, headers }))] })
tracerProvider.register()
const loggerProvider = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${process.env.GATEWAY_URL}/v1/logs`, headers }) })] })
registerInstrumentations({ instrumentations: [new OpenAIInstrumentation({ captureMessageContent: true })], tracerProvider, loggerProvider })

const { OpenAI } = require('openai')

async function main() {
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: process.env.OPENAI_BASE_URL })
  for (const question of JSON.parse(process.env.QUESTIONS)) {
    const r = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You answer in one sentence.' },
        { role: 'user', content: question },
      ],
    })
    process.stdout.write(JSON.stringify({ question, answer: r.choices[0].message.content, id: r.id }) + '\n')
  }
  await loggerProvider.forceFlush()
  await tracerProvider.forceFlush()
  await loggerProvider.shutdown()
  await tracerProvider.shutdown()
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n')
  process.exit(1)
})
