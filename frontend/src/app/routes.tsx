import { lazy, Suspense, useEffect, useRef } from 'react';
import { Link, Route, Routes, useLocation } from 'react-router';
import { Layout } from '@/components/layout';
import { Loading } from '@/components/ui/loading';
import { UploadPage } from '@/features/upload';
import { ErrorBoundary } from './error-boundary';

// The result page (and its chart library) and the history load on first use, keeping
// the initial JavaScript small.
const AnalysisPage = lazy(() => import('@/features/analysis').then((m) => ({ default: m.AnalysisPage })));
const HistoryPage = lazy(() => import('@/features/history').then((m) => ({ default: m.HistoryPage })));
const SettingsPage = lazy(() => import('@/features/settings').then((m) => ({ default: m.SettingsPage })));

const TITLES: [RegExp, string][] = [
  [/^\/$/, 'Analyse'],
  [/^\/analyses\//, 'Result'],
  [/^\/history/, 'History'],
  [/^\/settings/, 'Settings'],
];

/** A new page gets a title, and keyboard/screen-reader focus moves to its content. */
function useRouteAnnouncements() {
  const { pathname } = useLocation();
  useEffect(() => {
    const title = TITLES.find(([re]) => re.test(pathname))?.[1] ?? 'Not found';
    document.title = `${title} · DeepfakeDetective`;
  }, [pathname]);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById('main')?.focus();
  }, [pathname]);
}

export function AppRoutes() {
  useRouteAnnouncements();
  const { pathname } = useLocation();
  return (
    <Layout>
      <ErrorBoundary resetKey={pathname}>
        <Suspense fallback={<Loading what="the page" />}>
          <Routes>
            <Route path="/" element={<UploadPage />} />
            <Route path="/analyses/:id" element={<AnalysisPage />} />
            <Route path="/history" element={<HistoryPage />} />
            <Route path="/settings" element={<SettingsPage />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </ErrorBoundary>
    </Layout>
  );
}

function NotFound() {
  return (
    <div>
      <h1 className="text-2xl font-bold">Page not found</h1>
      <p className="mt-2">
        This address is not a page of the dashboard.{' '}
        <Link to="/" className="underline">
          Analyse a file
        </Link>{' '}
        or open the{' '}
        <Link to="/history" className="underline">
          history
        </Link>
        .
      </p>
    </div>
  );
}
