import type { ReactNode } from 'react';
import { NavLink } from 'react-router';
import { setTheme, useTheme } from '@/lib/theme';

const NAV = [
  { to: '/', label: 'Analyse', end: true },
  { to: '/history', label: 'History', end: false },
  { to: '/settings', label: 'Settings', end: false },
];

export function Layout({ children }: { children: ReactNode }) {
  const theme = useTheme();
  const dark =
    theme === 'dark' ||
    (theme === 'system' && typeof document !== 'undefined' && document.documentElement.classList.contains('dark'));
  return (
    <div className="flex min-h-screen flex-col">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:p-2 focus:text-slate-900"
      >
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-2 px-4 py-3">
          <NavLink to="/" className="text-lg font-bold tracking-tight">
            DeepfakeDetective
          </NavLink>
          <nav aria-label="Main" className="flex flex-wrap items-center gap-1">
            {NAV.map((item) => (
              <NavLink
                key={item.to}
                to={item.to}
                end={item.end}
                className={({ isActive }) =>
                  `rounded-md px-3 py-2 text-sm font-medium ${isActive ? 'bg-blue-100 text-blue-900 dark:bg-blue-900 dark:text-blue-50' : 'hover:bg-slate-100 dark:hover:bg-slate-800'}`
                }
              >
                {item.label}
              </NavLink>
            ))}
            <button
              type="button"
              onClick={() => setTheme(dark ? 'light' : 'dark')}
              className="rounded-md px-3 py-2 text-sm font-medium hover:bg-slate-100 dark:hover:bg-slate-800"
              aria-label={dark ? 'Switch to light theme' : 'Switch to dark theme'}
            >
              {dark ? 'Light' : 'Dark'}
            </button>
          </nav>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="mx-auto w-full max-w-6xl flex-1 px-4 py-6">
        {children}
      </main>
      <footer className="border-t border-slate-200 px-4 py-3 text-center text-xs text-slate-700 dark:border-slate-800 dark:text-slate-300">
        Scores are estimates from automatic detectors; read the evidence before you decide.
      </footer>
    </div>
  );
}
