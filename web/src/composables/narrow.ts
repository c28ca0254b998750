// Whether the screen is a phone's (a liaison in the field): tables then show only the
// columns needed to act. A media query, not the user agent.
import { onBeforeUnmount, ref } from 'vue'

export const NARROW = '(max-width: 768px)'

export function useNarrow() {
  const query = globalThis.matchMedia?.(NARROW)
  const narrow = ref(Boolean(query?.matches))
  const update = (event: MediaQueryListEvent): void => {
    narrow.value = event.matches
  }
  query?.addEventListener('change', update)
  onBeforeUnmount(() => query?.removeEventListener('change', update))
  return narrow
}
