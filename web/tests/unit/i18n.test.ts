import { beforeEach, describe, expect, it } from 'vitest'

import { LOCALE_KEY, locale, setLocale, t, translate } from '@/i18n'
import { messages } from '@/i18n/messages'

describe('Chinese first, English remembered', () => {
  beforeEach(() => localStorage.clear())

  it('has every Chinese word in English too', () => {
    expect(Object.keys(messages.en).sort()).toEqual(Object.keys(messages['zh-CN']).sort())
  })

  it('remembers the English switch in localStorage', () => {
    setLocale('en')
    expect(localStorage.getItem(LOCALE_KEY)).toBe('en')
    expect(locale.value).toBe('en')
    expect(t('menu.todo')).toBe('My tasks')
    setLocale('zh-CN')
    expect(t('menu.todo')).toBe('我的待办')
  })

  it('fills in named values', () => {
    expect(translate('zh-CN', 'todo.total', { n: 3 })).toBe('共 3 件')
  })
})
