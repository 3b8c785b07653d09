import { Partitioners } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { memoizedDefaultPartitioner } from '../../shared/kafka.js'

const metadata = (n: number, down: number[] = []) => Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: down.includes(i) ? -1 : 1, replicas: [1], isr: [1], partitionErrorCode: 0 }))

describe('memoizedDefaultPartitioner', () => {
  it('gives every string key the partition of kafkajs DefaultPartitioner, for each topic and partition count, asked again and again', () => {
    const memo = memoizedDefaultPartitioner()
    const plain = Partitioners.DefaultPartitioner()
    const keys = ['support-bot', 'code-assistant', '', 'ü-ñ-日本', 'a|gpt-4o', ...Array.from({ length: 300 }, (_, i) => `app-${i * 7919}`)]
    let differs = 0
    for (let round = 0; round < 3; round++) {
      for (const n of [1, 3, 6, 7, 12]) {
        for (const topic of ['llm.scores', 'other']) {
          for (const key of keys) {
            const args = { topic, partitionMetadata: metadata(n, n > 3 ? [1] : []), message: { key, value: Buffer.from('x') } }
            const want = plain(args)
            expect(memo(args)).toBe(want)
            if (want !== plain({ ...args, partitionMetadata: metadata(6) })) differs++
          }
        }
      }
    }
    // The partition count matters (so it is part of what is remembered).
    expect(differs).toBeGreaterThan(0)
  })

  it('leaves an explicit partition, a Buffer key and a missing key to kafkajs', () => {
    const memo = memoizedDefaultPartitioner()
    const md = metadata(6)
    expect(memo({ topic: 't', partitionMetadata: md, message: { key: 'support-bot', value: null, partition: 4 } })).toBe(4)
    const plain = Partitioners.DefaultPartitioner()
    const buf = Buffer.from('support-bot')
    expect(memo({ topic: 't', partitionMetadata: md, message: { key: buf, value: null } })).toBe(plain({ topic: 't', partitionMetadata: md, message: { key: buf, value: null } }))
    // The same key as a string afterwards still gets the DefaultPartitioner's answer for it.
    expect(memo({ topic: 't', partitionMetadata: md, message: { key: 'support-bot', value: null } })).toBe(plain({ topic: 't', partitionMetadata: md, message: { key: 'support-bot', value: null } }))
    const seen = new Set<number>()
    for (let i = 0; i < 60; i++) seen.add(memo({ topic: 't', partitionMetadata: md, message: { value: null } }))
    expect(seen.size).toBeGreaterThan(1) // round-robin, not remembered
  })
})
