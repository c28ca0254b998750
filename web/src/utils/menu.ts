// The left menu by role (RuoYi's sidebar): each entry is a route of src/router.
import type { MessageKey } from '@/i18n/messages'

export type Role = 'liaison' | 'coordinator' | 'leadership' | 'auditor' | 'admin' | 'investigator' | 'agency_head'

export interface MenuEntry {
  path: string
  titleKey: MessageKey
  roles: readonly Role[]
}

const AGENCY_STAFF: readonly Role[] = ['liaison', 'investigator', 'agency_head']
const COORDINATION: readonly Role[] = ['coordinator', 'admin']

export const MENU: readonly MenuEntry[] = [
  { path: '/todo', titleKey: 'menu.todo', roles: AGENCY_STAFF },
  { path: '/cockpit', titleKey: 'menu.cockpit', roles: ['leadership'] },
  { path: '/notifications', titleKey: 'menu.notifications', roles: [...AGENCY_STAFF, 'coordinator', 'leadership'] },
  { path: '/verification', titleKey: 'menu.verification', roles: ['coordinator'] },
  { path: '/returned', titleKey: 'menu.returned', roles: ['coordinator'] },
  { path: '/unclaimed', titleKey: 'menu.unclaimed', roles: ['coordinator'] },
  { path: '/overdue', titleKey: 'menu.overdue', roles: ['coordinator'] },
  { path: '/extensions', titleKey: 'menu.extensions', roles: ['coordinator', 'leadership'] },
  { path: '/ledger-import', titleKey: 'menu.ledgerImport', roles: ['coordinator'] },
  { path: '/audit', titleKey: 'menu.audit', roles: ['auditor'] },
  { path: '/users', titleKey: 'menu.users', roles: ['admin'] },
  { path: '/login-log', titleKey: 'menu.loginLog', roles: ['admin'] },
  // The office's settings, for the roles api/authz lets change them (MANAGE_AGENCY_GROUP,
  // LOAD_CALENDAR, SET_ESCALATION_POLICY: coordinators and admins); after the admin's own
  // pages so that an admin still lands on 用户管理.
  { path: '/agencies', titleKey: 'menu.agencies', roles: COORDINATION },
  { path: '/calendar', titleKey: 'menu.calendar', roles: COORDINATION },
  { path: '/policies', titleKey: 'menu.policies', roles: COORDINATION },
]

export function menuFor(role: string | null | undefined): MenuEntry[] {
  return MENU.filter((entry) => (entry.roles as readonly string[]).includes(role ?? ''))
}

/** Where a person lands after signing in: the first entry of their menu. */
export function homeFor(role: string | null | undefined): string {
  return menuFor(role)[0]?.path ?? '/forbidden'
}

export function mayOpen(role: string | null | undefined, path: string): boolean {
  return menuFor(role).some((entry) => entry.path === path)
}
