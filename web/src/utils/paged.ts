// A keyset-paged list on a page: the first page, "load more" from the last cursor, and the
// failure in the API's words. Never more than one page is asked for at a time.
import { ref, type Ref } from 'vue'

import { locale } from '@/i18n'
import { messageOf } from '@/utils/errors'

export interface Connection<Node> {
  totalCount?: number
  pageInfo: { hasNextPage: boolean; endCursor?: string | null }
  edges: { node: Node }[]
}

export interface Paged<Node> {
  rows: Ref<Node[]>
  total: Ref<number | null>
  hasMore: Ref<boolean>
  loading: Ref<boolean>
  loadError: Ref<string>
  load: (more?: boolean) => Promise<void>
}

export function usePaged<Node>(fetchPage: (after: string | null) => Promise<Connection<Node>>): Paged<Node> {
  const rows = ref<Node[]>([]) as Ref<Node[]>
  const total = ref<number | null>(null)
  const cursor = ref<string | null>(null)
  const hasMore = ref(false)
  const loading = ref(false)
  const loadError = ref('')

  async function load(more = false): Promise<void> {
    loading.value = true
    loadError.value = ''
    try {
      const page = await fetchPage(more ? cursor.value : null)
      const nodes = page.edges.map((edge) => edge.node)
      rows.value = more ? [...rows.value, ...nodes] : nodes
      total.value = page.totalCount ?? null
      cursor.value = page.pageInfo.endCursor ?? null
      hasMore.value = page.pageInfo.hasNextPage
    } catch (failure) {
      loadError.value = messageOf(failure, locale.value)
    } finally {
      loading.value = false
    }
  }

  return { rows, total, hasMore, loading, loadError, load }
}
