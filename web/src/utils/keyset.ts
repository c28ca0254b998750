// A list keyset-paged by the API: the first page, then "load more" after the last cursor.
// The failure is kept as the words to show (the API's own message where it gave one).
import { ref, shallowRef } from 'vue'

import { locale } from '@/i18n'

import { messageOf } from './errors'

export interface KeysetPage<Node> {
  totalCount?: number
  pageInfo: { hasNextPage: boolean; endCursor?: string | null }
  edges: readonly { node: Node }[]
}

export function keysetList<Node>(fetchPage: (after: string | null) => Promise<KeysetPage<Node>>) {
  const rows = shallowRef<Node[]>([])
  const total = ref<number | null>(null)
  const hasMore = ref(false)
  const loading = ref(false)
  const error = ref('')
  let cursor: string | null = null

  async function load(more = false): Promise<void> {
    loading.value = true
    error.value = ''
    try {
      const page = await fetchPage(more ? cursor : null)
      const nodes = page.edges.map((edge) => edge.node)
      rows.value = more ? [...rows.value, ...nodes] : nodes
      total.value = page.totalCount ?? null
      cursor = page.pageInfo.endCursor ?? null
      hasMore.value = page.pageInfo.hasNextPage
    } catch (failure) {
      error.value = messageOf(failure, locale.value)
    } finally {
      loading.value = false
    }
  }

  return { rows, total, hasMore, loading, error, load }
}
