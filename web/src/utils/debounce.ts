// One refetch per burst of live notices: the call runs once, `wait` ms after the last notice
// of a burst (trailing), and at the latest `maxWait` ms after the first, so a steady stream
// of notices still refreshes the page now and then instead of never.
export interface Debounced {
  (): void
  /** Drops a pending run (the page is closed). */
  cancel(): void
  /** Whether a run is waiting. */
  pending(): boolean
}

export function debounce(run: () => void, wait: number, maxWait = Number.POSITIVE_INFINITY): Debounced {
  let timer: ReturnType<typeof setTimeout> | null = null
  let firstAt: number | null = null

  function fire(): void {
    timer = null
    firstAt = null
    run()
  }

  const debounced = (() => {
    const now = Date.now()
    if (firstAt === null) firstAt = now
    if (timer !== null) clearTimeout(timer)
    const left = Math.max(0, Math.min(wait, firstAt + maxWait - now))
    timer = setTimeout(fire, left)
  }) as Debounced
  debounced.cancel = () => {
    if (timer !== null) clearTimeout(timer)
    timer = null
    firstAt = null
  }
  debounced.pending = () => timer !== null
  return debounced
}
