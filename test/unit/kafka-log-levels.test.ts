/**
 * kafkajs reports every attempt it retries at ERROR; llmwatch logs a retried, recovered condition at
 * debug (or warn) and keeps error for what fails (issue 11: a healthy demo printed ~276 error lines).
 * The real-broker side: test/e2e/readme-commands.test.ts checks a demo's log has no error line.
 */
import { describe, expect, it } from 'vitest'
import { kafkajsErrorLevel } from '../../shared/kafka.js'

describe('kafkajs ERROR entries', () => {
  it.each([
    ['Response AddOffsetsToTxn(key: 25, version: 1)', { error: 'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing', correlationId: 7 }],
    ['Response JoinGroup(key: 11, version: 5)', { error: "The coordinator is loading and hence can't process requests for this group", correlationId: 3 }],
    ['Response Produce(key: 0, version: 7)', { error: 'This server is not the leader for that topic-partition' }],
    ['Crash: KafkaJSProtocolError: The coordinator is loading and hence can\'t process requests', { groupId: 'g', retryCount: 0 }],
    ['Restarting the consumer in 300ms', { retryCount: 0, retryTime: 300, groupId: 'g' }],
    ['Connection error: connect ECONNREFUSED 127.0.0.1:9092', { broker: '127.0.0.1:9092' }],
    ['Connection timeout', { broker: '127.0.0.1:9092' }],
    ['Failed to send messages: Connection error: read ECONNRESET', { retryCount: 2, retryTime: 1200 }],
    ['Failed to connect to seed broker, trying another broker from the list: Connection error', { retryCount: 1, retryTime: 600 }],
  ])('%s -> debug (retried by kafkajs)', (message, extra) => {
    expect(kafkajsErrorLevel(message, extra)).toBe('debug')
  })

  it('a member re-joining its group is a warning', () => {
    expect(kafkajsErrorLevel('The coordinator is not aware of this member, re-joining the group', { groupId: 'g' })).toBe('warn')
  })

  it.each([
    ['Response Produce(key: 0, version: 7)', { error: 'The request included a message larger than the max message size the server will accept' }],
    ['Response SaslAuthenticate(key: 36, version: 1)', { error: 'Request is not valid given the current SASL state' }],
    ['Offset out of range, resetting to default offset', { groupId: 'g' }],
    ['Caught error when disconnecting the consumer: boom', { groupId: 'g' }],
  ])('%s -> error (not retried)', (message, extra) => {
    expect(kafkajsErrorLevel(message, extra)).toBe('error')
  })
})
