// Element Plus's variables first, then ours over them; each component's own styles come
// with the module that uses it (vite.config.ts, elementStyles)
import 'element-plus/theme-chalk/base.css'
import './styles.css'

import { createApp } from 'vue'

import App from './App.vue'
import { locale } from './i18n'
import { router } from './router'

document.documentElement.lang = locale.value
// the session and, on 我的待办, its first page were asked for already by index.html's first
// script (src/early.ts); the guard and the page take their answers (ADR 0058, 0084)
createApp(App).use(router).mount('#app')
