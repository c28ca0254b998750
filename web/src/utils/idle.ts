// Work a page's first drawing does not need (the header bell's query and live socket): run
// once the main thread is idle after it, at the latest after `timeout` ms, so it neither
// delays the first rows nor competes with their request (ADR 0084).

/** Runs `run` when the browser is next idle (or after `timeout` ms); the result cancels it. */
export function whenIdle(run: () => void, timeout = 2000): () => void {
  if (typeof requestIdleCallback === 'function') {
    const id = requestIdleCallback(() => run(), { timeout })
    return () => cancelIdleCallback(id)
  }
  const id = setTimeout(run, 0)
  return () => clearTimeout(id)
}
