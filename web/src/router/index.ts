// Routes and the guard (RuoYi's permission.ts): no session, the login page; a page not in
// the person's menu, their home page. The server still decides every read and action.
import { createRouter, createWebHistory, type RouteComponent, type RouteRecordRaw } from 'vue-router'

import { restoreSession } from '@/api/auth'
import Layout from '@/layout/Layout.vue'
import { session } from '@/store/session'
import type { ItemKind } from '@/utils/items'
import { homeFor, mayOpen, MENU } from '@/utils/menu'
import Placeholder from '@/views/placeholder/index.vue'
import Todo from '@/views/todo/index.vue'

// Every page its own chunk, loaded when opened, except 我的待办: the home of agency staff,
// the page most opened first, is in the first chunk so it draws without another round of
// requests (ADR 0058).
const BUILT: Record<string, RouteComponent | (() => Promise<unknown>)> = {
  '/todo': Todo,
  '/notifications': () => import('@/views/notifications/index.vue'),
  '/verification': () => import('@/views/verification/index.vue'),
  '/cockpit': () => import('@/views/cockpit/index.vue'),
  '/audit': () => import('@/views/audit/index.vue'),
  '/returned': () => import('@/views/returned/index.vue'),
  '/unclaimed': () => import('@/views/unclaimed/index.vue'),
  '/overdue': () => import('@/views/overdue/index.vue'),
  '/extensions': () => import('@/views/extensions/index.vue'),
  '/ledger-import': () => import('@/views/ledger-import/index.vue'),
  '/agencies': () => import('@/views/agencies/index.vue'),
  '/calendar': () => import('@/views/calendar/index.vue'),
  '/policies': () => import('@/views/policies/index.vue'),
  '/users': () => import('@/views/users/index.vue'),
  '/login-log': () => import('@/views/login-log/index.vue'),
}

const children: RouteRecordRaw[] = MENU.map((entry) => ({
  path: entry.path.slice(1),
  component: BUILT[entry.path] ?? Placeholder,
  meta: { menu: true, titleKey: entry.titleKey },
}))

// 事项详情: not menu entries; any signed-in role opens them and the server decides what it reads.
const ITEM_PAGES: [string, ItemKind][] = [
  ['issues', 'issue'],
  ['referrals', 'referral'],
  ['clues', 'clue'],
  ['case-transfers', 'case_transfer'],
]
const items: RouteRecordRaw[] = ITEM_PAGES.map(([segment, kind]) => ({
  path: `${segment}/:id`,
  component: () => import('@/views/item/index.vue'),
  props: (to) => ({ kind, id: String(to.params.id) }),
}))

const routes: RouteRecordRaw[] = [
  { path: '/login', component: () => import('@/views/login/index.vue'), meta: { public: true } },
  {
    path: '/',
    component: Layout,
    children: [
      { path: '', component: Placeholder }, // never shown: the guard sends `/` home
      ...children,
      ...items,
      { path: 'forbidden', component: () => import('@/views/error/forbidden.vue') },
    ],
  },
  { path: '/:rest(.*)*', redirect: '/' },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  if (!session.checked) await restoreSession()
  const user = session.user
  if (to.meta.public) return user ? homeFor(user.role) : true
  if (!user) return { path: '/login', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } }
  if (to.path === '/') return homeFor(user.role)
  if (to.meta.menu && !mayOpen(user.role, to.path)) return homeFor(user.role)
  return true
})
