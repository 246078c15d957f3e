import { Component, type ErrorInfo, type ReactNode } from 'react';

interface State {
  error: Error | null;
}

/** A crash in a page shows a sentence and a way out, never a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode; resetKey: string }, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  componentDidUpdate(previous: { resetKey: string }) {
    if (previous.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('page crashed', error, info.componentStack);
  }

  render() {
    if (!this.state.error) return this.props.children;
    const chunkFailed = /dynamically imported module|Failed to fetch|Loading chunk/i.test(this.state.error.message);
    return (
      <div role="alert" className="rounded-lg border border-red-300 bg-red-50 p-4 text-red-950 dark:bg-red-950 dark:text-red-50">
        <p className="font-semibold">
          {chunkFailed ? 'Part of the dashboard could not be loaded from the server.' : 'This page could not be shown.'}
        </p>
        <p className="mt-1 text-sm">
          <strong>What to do:</strong> {chunkFailed ? 'Check that the gateway is running, then ' : ''}reload the page.
          If it keeps happening, report it.
        </p>
        <button type="button" className="mt-3 underline" onClick={() => window.location.reload()}>
          Reload
        </button>
      </div>
    );
  }
}
