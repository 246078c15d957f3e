import type { ReactNode } from 'react';
import { Card } from '@/components/ui/card';
import type {
  C2paReport,
  CompressionTraces,
  ContainerMetadata,
  GeneratorTrace,
  ImageMetadata,
  ProvenanceReport,
} from '@/lib/api/types';

// What the file itself says, read without any model: facts, never a probability.
// Absent metadata is said plainly and neutrally: most platforms strip it.

const NOT_RECORDED = 'Not recorded';

const VALIDATION_WORDS: Record<string, { text: string; tone: 'good' | 'warn' | 'bad' }> = {
  valid: { text: 'Valid — signed by a trusted signer', tone: 'good' },
  untrusted_signer: { text: 'Intact, but the signer is not on our trust list', tone: 'warn' },
  tampered: { text: 'Tampered — the content no longer matches what was signed', tone: 'bad' },
  invalid_signature: { text: 'Invalid signature', tone: 'bad' },
  invalid: { text: 'Invalid', tone: 'bad' },
};

const TONE_CLASSES = {
  good: 'text-green-800 dark:text-green-300',
  warn: 'text-amber-900 dark:text-amber-200',
  bad: 'text-red-800 dark:text-red-300',
  neutral: '',
};

const SOURCE_WORDS: Record<string, string> = {
  png_text: 'PNG text chunk',
  exif: 'EXIF',
  xmp: 'XMP',
  iptc: 'IPTC',
  container: 'container tag',
};

/** The C2PA status in one word-group: valid / untrusted signer / tampered / invalid / none. */
export function c2paStatus(c2pa: C2paReport): { text: string; tone: keyof typeof TONE_CLASSES } {
  if (c2pa.state === 'ok' && c2pa.validation) return VALIDATION_WORDS[c2pa.validation];
  if (c2pa.state === 'absent') return { text: 'None — the file carries no content credentials', tone: 'neutral' };
  if (c2pa.state === 'unreadable') return { text: `Present but unreadable (${c2pa.reason ?? 'malformed'})`, tone: 'warn' };
  return { text: `Not checked${c2pa.reason ? ` (${c2pa.reason})` : ''}`, tone: 'neutral' };
}

function Facts({ label, children }: { label: string; children: ReactNode }) {
  return (
    <dl aria-label={label} className="grid grid-cols-1 gap-x-4 gap-y-1 text-sm sm:grid-cols-[max-content_minmax(0,1fr)]">
      {children}
    </dl>
  );
}

function Fact({ term, children, testId }: { term: string; children: ReactNode; testId?: string }) {
  return (
    <>
      <dt className="font-medium text-slate-700 dark:text-slate-300">{term}</dt>
      <dd className="mb-1 min-w-0 break-words sm:mb-0" data-testid={testId}>
        {children}
      </dd>
    </>
  );
}

function SectionNote({ state, reason, absent }: { state: string; reason?: string | null; absent: string }) {
  if (state === 'absent') return <p className="text-sm">{absent}</p>;
  if (state === 'unreadable')
    return <p className="text-sm">Present but could not be read within our limits{reason ? `: ${reason}` : ''}.</p>;
  return <p className="text-sm">Not checked{reason ? `: ${reason}` : ''}.</p>;
}

function Credentials({ c2pa }: { c2pa: C2paReport }) {
  const status = c2paStatus(c2pa);
  const read = c2pa.state === 'ok';
  const signer = [c2pa.signer_subject, c2pa.signer_issuer && `issued by ${c2pa.signer_issuer}`].filter(Boolean).join(', ');
  return (
    <section aria-labelledby="prov-c2pa" className="min-w-0">
      <h3 id="prov-c2pa" className="mb-1 font-semibold">
        Content credentials (C2PA)
      </h3>
      <Facts label="Content credentials">
        <Fact term="Status" testId="c2pa-status">
          <span className={`font-semibold ${TONE_CLASSES[status.tone]}`}>{status.text}</span>
        </Fact>
        {read && (
          <>
            <Fact term="Signer">{signer || 'Not named'}</Fact>
            <Fact term="Claim generator">{c2pa.claim_generator ?? NOT_RECORDED}</Fact>
            <Fact term="Actions">
              {(c2pa.actions ?? []).length === 0 ? (
                'None declared'
              ) : (
                <ul className="flex flex-col gap-0.5">
                  {(c2pa.actions ?? []).map((a, i) => (
                    <li key={`${a.action}-${i}`}>
                      <code className="text-xs">{a.action}</code>
                      {a.software_agent ? ` by ${a.software_agent}` : ''}
                      {a.digital_source_type ? ` (${a.digital_source_type})` : ''}
                    </li>
                  ))}
                </ul>
              )}
            </Fact>
            <Fact term="Digital source type" testId="c2pa-source-types">
              {(c2pa.digital_source_types ?? []).join(', ') || 'Not declared'}
            </Fact>
          </>
        )}
      </Facts>
    </section>
  );
}

function Traces({ traces }: { traces: GeneratorTrace[] }) {
  return (
    <section aria-labelledby="prov-traces" className="min-w-0">
      <h3 id="prov-traces" className="mb-1 font-semibold">
        Generator traces
      </h3>
      {traces.length === 0 ? (
        <p className="text-sm">None found in the file&apos;s metadata.</p>
      ) : (
        <ul className="flex flex-col gap-2 text-sm">
          {traces.map((t, i) => (
            <li key={`${t.source}-${t.key}-${i}`} data-testid="generator-trace" className="min-w-0">
              <strong>{t.tool}</strong> — {t.ai ? 'an AI image generator' : 'an editor, not a generator'}{' '}
              <span className="text-slate-700 dark:text-slate-300">
                ({SOURCE_WORDS[t.source] ?? t.source} <code className="text-xs">{t.key}</code>)
              </span>
              {t.excerpt && (
                <q className="mt-0.5 block break-words font-mono text-xs text-slate-700 dark:text-slate-300">{t.excerpt}</q>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Metadata({ metadata }: { metadata: ImageMetadata }) {
  return (
    <section aria-labelledby="prov-metadata" className="min-w-0">
      <h3 id="prov-metadata" className="mb-1 font-semibold">
        Metadata
      </h3>
      {metadata.state === 'ok' ? (
        <Facts label="Metadata">
          <Fact term="Camera" testId="meta-camera">
            {[metadata.make, metadata.model].filter(Boolean).join(' ') || NOT_RECORDED}
          </Fact>
          <Fact term="Lens">{metadata.lens ?? NOT_RECORDED}</Fact>
          <Fact term="Capture time">{metadata.capture_time ?? NOT_RECORDED}</Fact>
          <Fact term="Software">{metadata.software ?? metadata.creator_tool ?? NOT_RECORDED}</Fact>
          <Fact term="GPS location" testId="meta-gps">
            {metadata.gps_present ? 'Present (coordinates not copied)' : 'No'}
          </Fact>
          {metadata.digital_source_type && <Fact term="Digital source type">{metadata.digital_source_type}</Fact>}
        </Facts>
      ) : (
        <SectionNote
          state={metadata.state}
          reason={metadata.reason}
          absent="The file carries no EXIF, XMP or IPTC metadata. Many platforms remove it, so this says nothing either way."
        />
      )}
    </section>
  );
}

function Container({ container }: { container: ContainerMetadata }) {
  const device = Object.entries(container.device ?? {})
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  return (
    <section aria-labelledby="prov-container" className="min-w-0">
      <h3 id="prov-container" className="mb-1 font-semibold">
        Container metadata
      </h3>
      {container.state === 'ok' ? (
        <Facts label="Container metadata">
          <Fact term="Format">{container.format ?? NOT_RECORDED}</Fact>
          <Fact term="Encoder">{container.encoder ?? NOT_RECORDED}</Fact>
          <Fact term="Creation time">{container.creation_time ?? NOT_RECORDED}</Fact>
          <Fact term="Recording device">{device || NOT_RECORDED}</Fact>
        </Facts>
      ) : (
        <SectionNote state={container.state} reason={container.reason} absent="The container carries no metadata tags." />
      )}
    </section>
  );
}

function Compression({ compression }: { compression: CompressionTraces }) {
  if (compression.state !== 'ok') return null;
  const family =
    compression.table_family === 'ijg'
      ? 'Yes — standard (IJG/libjpeg) tables, as most editors and web tools write'
      : compression.table_family === 'custom'
        ? 'No — custom tables (camera or editor specific)'
        : 'Unknown';
  const score = compression.double_compression_score;
  const double =
    compression.double_compression == null
      ? 'Not measured'
      : `${compression.double_compression ? 'Signs of an earlier compression' : 'No signs'}${score != null ? ` (score ${score.toFixed(2)})` : ''}`;
  return (
    <section aria-labelledby="prov-jpeg" className="min-w-0">
      <h3 id="prov-jpeg" className="mb-1 font-semibold">
        JPEG compression
      </h3>
      <Facts label="JPEG compression">
        <Fact term="Estimated quality" testId="jpeg-quality">
          {compression.estimated_quality ?? 'Unknown'}
        </Fact>
        <Fact term="Standard tables">{family}</Fact>
        <Fact term="Double compression" testId="jpeg-double">
          {double}
        </Fact>
      </Facts>
      {compression.ela_url && (
        <figure className="mt-2">
          <img
            src={compression.ela_url}
            alt="Error-level analysis of the picture: brighter areas changed more when re-saved"
            className="h-auto max-w-full rounded border border-slate-200 dark:border-slate-700"
            loading="lazy"
            data-testid="ela-image"
          />
          <figcaption className="mt-1 text-xs text-slate-700 dark:text-slate-300">
            Error-level analysis (ELA): an aid to the eye, not a probability.
          </figcaption>
        </figure>
      )}
    </section>
  );
}

export function ProvenanceCard({ provenance }: { provenance: ProvenanceReport }) {
  return (
    <Card title="Provenance">
      <p className="mb-3 text-sm text-slate-700 dark:text-slate-300">
        What the file itself says, read without any model. These are facts, not probabilities; they change the verdict
        only through the listed rules.
      </p>
      <div className="grid gap-4 md:grid-cols-2" data-testid="provenance-card">
        <Credentials c2pa={provenance.c2pa} />
        <Traces traces={provenance.traces ?? []} />
        {provenance.metadata && <Metadata metadata={provenance.metadata} />}
        {provenance.container && <Container container={provenance.container} />}
        {provenance.compression && <Compression compression={provenance.compression} />}
      </div>
      {provenance.timed_out && (
        <p className="mt-3 text-sm">The time limit for reading the file ran out; some sections were not read.</p>
      )}
    </Card>
  );
}
