import { ApiKeyField } from '@/components/api-key-field';
import { Card } from '@/components/ui/card';
import { setTheme, useTheme, type Theme } from '@/lib/theme';

const THEMES: { value: Theme; label: string }[] = [
  { value: 'system', label: 'Same as my device' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

export function SettingsPage() {
  const theme = useTheme();
  return (
    <div className="flex flex-col gap-4">
      <h1 className="text-2xl font-bold">Settings</h1>
      <Card title="Access">
        <ApiKeyField />
      </Card>
      <Card title="Appearance">
        <fieldset>
          <legend className="mb-2 text-sm font-medium">Theme</legend>
          <div className="flex flex-wrap gap-4">
            {THEMES.map((t) => (
              <label key={t.value} className="flex items-center gap-2">
                <input
                  type="radio"
                  name="theme"
                  value={t.value}
                  checked={theme === t.value}
                  onChange={() => setTheme(t.value)}
                />
                {t.label}
              </label>
            ))}
          </div>
        </fieldset>
      </Card>
    </div>
  );
}
