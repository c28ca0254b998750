import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { debounce } from '@/utils/debounce'

describe('live notices refetch once per burst', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('runs once, a second after the last notice of a burst', () => {
    const run = vi.fn()
    const notice = debounce(run, 1000)
    for (let i = 0; i < 25; i += 1) {
      notice()
      vi.advanceTimersByTime(100)
    }
    expect(run).not.toHaveBeenCalled()
    vi.advanceTimersByTime(899)
    expect(run).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(run).toHaveBeenCalledTimes(1)
  })

  it('runs again for a later burst', () => {
    const run = vi.fn()
    const notice = debounce(run, 1000)
    notice()
    notice()
    vi.advanceTimersByTime(1000)
    notice()
    vi.advanceTimersByTime(1000)
    expect(run).toHaveBeenCalledTimes(2)
  })

  it('still refreshes during an endless stream, at most once per maxWait', () => {
    const run = vi.fn()
    const notice = debounce(run, 1000, 5000)
    for (let i = 0; i < 100; i += 1) {
      notice()
      vi.advanceTimersByTime(200)
    }
    // 20 s of a notice every 200 ms: four refreshes, not a hundred and not none
    expect(run).toHaveBeenCalledTimes(4)
  })

  it('runs nothing once cancelled', () => {
    const run = vi.fn()
    const notice = debounce(run, 1000)
    notice()
    expect(notice.pending()).toBe(true)
    notice.cancel()
    expect(notice.pending()).toBe(false)
    vi.advanceTimersByTime(5000)
    expect(run).not.toHaveBeenCalled()
  })
})
