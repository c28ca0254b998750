// An action dialog: its fields, the row it acts on, and the API's refusal kept in the
// dialog until the person acts again; on success it closes and the list is read again.
import { ElMessage } from 'element-plus'
import { reactive } from 'vue'

import { locale, t } from '@/i18n'
import { messageOf } from '@/utils/errors'

export function useActionDialog<Fields extends object, Row>(blank: () => Fields, reload: () => Promise<void>) {
  const dialog = reactive({ open: false, row: null as Row | null, error: '', busy: false, fields: blank() })

  function open(row: Row | null = null, fields: Partial<Fields> = {}): void {
    Object.assign(dialog, { open: true, row, error: '', busy: false, fields: { ...blank(), ...fields } })
  }

  async function run(action: () => Promise<void>): Promise<void> {
    dialog.busy = true
    dialog.error = ''
    try {
      await action()
      dialog.open = false
      ElMessage.success(t('dialog.done'))
      await reload()
    } catch (failure) {
      dialog.error = messageOf(failure, locale.value)
    } finally {
      dialog.busy = false
    }
  }

  return { dialog, open, run }
}
