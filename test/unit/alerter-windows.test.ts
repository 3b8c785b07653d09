import { describe, expect, it } from 'vitest'
import { CountWindow, QUANTILE_RELATIVE_ERROR, QuantileWindow } from '../../services/alerter/windows.js'

describe('CountWindow', () => {
  it('sums the buckets of the window and forgets older ones', () => {
    const w = new CountWindow(1000, 10) // 10 s of 1 s buckets
    for (let s = 0; s < 20; s++) w.add(s * 1000 + 500, s % 2 === 0, s)
    const t = w.totals(19_999, 10) // seconds 10..19
    expect(t.n).toBe(10)
    expect(t.hits).toBe(5)
    expect(t.sum).toBe(10 + 11 + 12 + 13 + 14 + 15 + 16 + 17 + 18 + 19)
    // The 5 buckets before the latest 5.
    expect(w.totals(19_999, 5, 5).sum).toBe(10 + 11 + 12 + 13 + 14)
    // Time moves on without events: the window empties.
    expect(w.totals(25_000, 10).n).toBe(4) // seconds 16..19 remain in 16..25
    expect(w.isEmptyAt(30_000)).toBe(true)
  })

  it('drops events older than the ring and accepts late events that still fit', () => {
    const w = new CountWindow(1000, 10)
    w.add(50_000, false)
    expect(w.add(45_000, true)).toBe(true)
    expect(w.add(40_000, true)).toBe(false)
    expect(w.totals(50_000, 10).hits).toBe(1)
  })
})

describe('QuantileWindow', () => {
  it('returns quantiles within the sketch relative error', () => {
    const w = new QuantileWindow(1000, 60)
    const values: number[] = []
    let x = 12345
    for (let i = 0; i < 5000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648
      const v = 50 + (x / 2147483648) * 2000
      values.push(v)
      w.add(1_000_000 + (i % 60) * 1000, v)
    }
    values.sort((a, b) => a - b)
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = values[Math.ceil(q * values.length) - 1]!
      const got = w.quantile(1_059_999, q)
      expect(Math.abs(got - exact) / exact).toBeLessThanOrEqual(QUANTILE_RELATIVE_ERROR + 1e-9)
    }
    expect(w.size(1_059_999)).toBe(5000)
  })

  it('evicts expired buckets so old values stop counting', () => {
    const w = new QuantileWindow(1000, 10)
    for (let i = 0; i < 100; i++) w.add(0, 10_000) // a slow burst at t=0
    for (let i = 0; i < 100; i++) w.add(12_000, 100)
    expect(w.size(12_000)).toBe(100)
    expect(w.quantile(12_000, 0.99)).toBeLessThan(102)
    expect(w.quantile(30_000, 0.5)).toBeNaN()
    expect(w.add(1_000, 5)).toBe(false)
  })

  it('answers from the live values only after the window emptied and refilled elsewhere', () => {
    // Queries scan only the bins in use: a window that emptied must forget its old range.
    const w = new QuantileWindow(1000, 10)
    for (let i = 0; i < 50; i++) w.add(0, 1e6)
    expect(w.quantile(0, 0.5)).toBeGreaterThan(0.98e6)
    for (let i = 1; i <= 100; i++) w.add(20_000, i) // the 1e6 values expired: 1..100 remain
    expect(w.size(20_000)).toBe(100)
    expect(w.quantile(20_000, 0.01)).toBeCloseTo(1, 1)
    expect(Math.abs(w.quantile(20_000, 0.95) - 95) / 95).toBeLessThanOrEqual(QUANTILE_RELATIVE_ERROR)
    w.add(20_500, 0) // the zero bin, below the range so far
    expect(w.quantile(20_500, 0.001)).toBe(0)
    w.add(21_000, 1e9)
    expect(w.quantile(21_000, 0.999)).toBeGreaterThan(0.98e9)
  })

  it('handles zero and huge values', () => {
    const w = new QuantileWindow(1000, 5)
    w.add(0, 0)
    w.add(0, 1e15)
    expect(w.quantile(0, 0.01)).toBe(0)
    expect(w.quantile(0, 0.99)).toBeGreaterThan(1e11)
  })
})
