// A keyset-paged list (RuoYi's table page): the first page on load, the next on "load
// more" from the cursor the API returned; a failure shown as its message.
import { ref, type Ref } from 'vue'

import { locale } from '@/i18n'
import { messageOf } from '@/utils/errors'

export interface Page<Row> {
  nodes: Row[]
  endCursor: string | null | undefined
  hasNextPage: boolean
  totalCount?: number
}

export interface Connection<Row> {
  edges: { node: Row }[]
  pageInfo: { endCursor?: string | null; hasNextPage: boolean }
  totalCount?: number
}

/** A GraphQL connection as a page of rows. */
export function pageOf<Row>(connection: Connection<Row>): Page<Row> {
  return {
    nodes: connection.edges.map((edge) => edge.node),
    endCursor: connection.pageInfo.endCursor,
    hasNextPage: connection.pageInfo.hasNextPage,
    totalCount: connection.totalCount,
  }
}

export function usePaged<Row>(fetchPage: (after: string | null) => Promise<Page<Row>>) {
  const rows = ref([]) as Ref<Row[]>
  const total = ref(0)
  const hasMore = ref(false)
  const loading = ref(false)
  const error = ref('')
  let cursor: string | null = null

  async function load(more = false): Promise<void> {
    loading.value = true
    error.value = ''
    try {
      const page = await fetchPage(more ? cursor : null)
      rows.value = more ? [...rows.value, ...page.nodes] : page.nodes
      total.value = page.totalCount ?? rows.value.length
      cursor = page.endCursor ?? null
      hasMore.value = page.hasNextPage
    } catch (failure) {
      error.value = messageOf(failure, locale.value)
    } finally {
      loading.value = false
    }
  }

  return { rows, total, hasMore, loading, error, load }
}
