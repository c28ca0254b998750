import { describe, expect, it } from 'vitest'

import { homeFor, mayOpen, menuFor } from '@/utils/menu'

const paths = (role: string) => menuFor(role).map((entry) => entry.path)

describe('the left menu follows the role', () => {
  it('gives a liaison the queue and the notices', () => {
    expect(paths('liaison')).toEqual(['/todo', '/notifications'])
    expect(homeFor('liaison')).toBe('/todo')
  })

  it('gives a coordinator verification, returned referrals, extensions and the ledger import', () => {
    expect(paths('coordinator')).toEqual(expect.arrayContaining(['/verification', '/returned', '/extensions', '/ledger-import']))
    expect(paths('coordinator')).not.toContain('/todo')
  })

  it('gives the office (coordinators and admins) the agencies, the calendar and the policies', () => {
    for (const role of ['coordinator', 'admin']) {
      expect(paths(role)).toEqual(expect.arrayContaining(['/agencies', '/calendar', '/policies']))
    }
    for (const role of ['liaison', 'leadership', 'auditor']) expect(paths(role)).not.toContain('/calendar')
  })

  it('gives leadership the cockpit, an auditor the audit, an admin users and the sign-in log', () => {
    expect(paths('leadership')).toContain('/cockpit')
    expect(homeFor('leadership')).toBe('/cockpit')
    expect(paths('auditor')).toEqual(['/audit'])
    expect(paths('admin')).toEqual(['/users', '/login-log', '/agencies', '/calendar', '/policies'])
    expect(homeFor('admin')).toBe('/users')
  })

  it('opens no page outside the menu and none for an unknown role', () => {
    expect(mayOpen('liaison', '/users')).toBe(false)
    expect(menuFor('nobody')).toEqual([])
    expect(homeFor(undefined)).toBe('/forbidden')
  })
})
