import { useRef, useState, type DragEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { Card } from '@/components/ui/card';
import { ErrorNotice } from '@/components/ui/error-notice';
import { ProgressBar } from '@/components/ui/progress-bar';
import { bytes } from '@/lib/format';
import { uploadFile } from '@/lib/upload';

const ACCEPT = 'image/*,audio/*,video/*';

interface Item {
  key: string;
  file: File;
  fraction: number;
  state: 'uploading' | 'accepted' | 'error';
  analysisId?: string;
  error?: unknown;
}

export function UploadPage() {
  const [items, setItems] = useState<Item[]>([]);
  const [dragging, setDragging] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const navigate = useNavigate();

  const update = (key: string, patch: Partial<Item>) =>
    setItems((list) => list.map((item) => (item.key === key ? { ...item, ...patch } : item)));

  const start = (files: File[]) => {
    if (files.length === 0) return;
    const batch = files.map((file, i) => ({
      key: `${Date.now()}-${i}-${file.name}`,
      file,
      fraction: 0,
      state: 'uploading' as const,
    }));
    setItems((list) => [...batch, ...list]);
    const single = files.length === 1;
    for (const item of batch) {
      uploadFile(item.file, { onProgress: (fraction) => update(item.key, { fraction }) })
        .then((answer) => {
          update(item.key, { state: 'accepted', analysisId: answer.id, fraction: 1 });
          // One file: go straight to its live result page (the job goes on server-side
          // whatever page is open; it is in the history).
          if (single) navigate(`/analyses/${answer.id}`);
        })
        .catch((error: unknown) => update(item.key, { state: 'error', error }));
    }
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    start(Array.from(event.dataTransfer.files));
  };

  return (
    <div className="flex flex-col gap-6">
      <div>
        <h1 className="text-2xl font-bold">Is it a deepfake?</h1>
        <p className="mt-1 text-slate-700 dark:text-slate-300">
          Upload a picture, a recording or a video. Each face, voice and frame is checked by
          detectors, and you get a verdict with the evidence behind it.
        </p>
      </div>
      <div
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        data-testid="drop-zone"
        className={`flex flex-col items-center gap-3 rounded-xl border-2 border-dashed p-8 text-center ${dragging ? 'border-blue-700 bg-blue-50 dark:bg-blue-950' : 'border-slate-400 bg-white dark:border-slate-600 dark:bg-slate-900'}`}
      >
        <p className="font-medium">Drop files here, or</p>
        <label
          htmlFor="file-input"
          className="cursor-pointer rounded-md bg-blue-700 px-4 py-2 font-medium text-white focus-within:outline focus-within:outline-3 focus-within:outline-blue-600 hover:bg-blue-800 dark:bg-blue-500 dark:text-slate-950"
        >
          Choose files to analyse
          <input
            ref={inputRef}
            id="file-input"
            type="file"
            multiple
            accept={ACCEPT}
            className="sr-only"
            onChange={(event) => {
              start(Array.from(event.target.files ?? []));
              event.target.value = '';
            }}
          />
        </label>
        <p className="text-sm text-slate-700 dark:text-slate-300">
          Images (JPEG, PNG, WebP), audio (WAV, MP3, FLAC, OGG) or video (MP4, WebM, MOV).
        </p>
      </div>
      {items.length > 0 && (
        <Card title="Uploads">
          <ul className="flex flex-col gap-4" aria-live="polite">
            {items.map((item) => (
              <li key={item.key} className="flex flex-col gap-2" data-testid="upload-item">
                <p className="break-all font-medium">
                  {item.file.name} <span className="text-sm font-normal">({bytes(item.file.size)})</span>
                </p>
                {item.state === 'uploading' && (
                  <ProgressBar label={`Uploading ${item.file.name}`} value={item.fraction} />
                )}
                {item.state === 'accepted' && item.analysisId && (
                  <p className="text-sm">
                    Uploaded; the analysis is running.{' '}
                    <Link className="font-medium text-blue-800 underline dark:text-blue-300" to={`/analyses/${item.analysisId}`}>
                      Open the result for {item.file.name}
                    </Link>
                  </p>
                )}
                {item.state === 'error' && (
                  <ErrorNotice error={item.error} title={`${item.file.name} was not analysed.`} />
                )}
              </li>
            ))}
          </ul>
        </Card>
      )}
    </div>
  );
}
