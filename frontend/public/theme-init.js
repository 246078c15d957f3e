// Applies the saved theme before the first paint (no flash of the wrong theme). A file,
// not an inline script: the gateway's Content-Security-Policy allows scripts from 'self' only.
try {
  var t = localStorage.getItem('dd.theme');
  var dark = t === 'dark' || (t !== 'light' && matchMedia('(prefers-color-scheme: dark)').matches);
  if (dark) document.documentElement.classList.add('dark');
} catch (e) {
  // storage disabled: light theme
}
