// Keeps the parts of a console page marked data-live up to date without a reload: every few
// seconds while an issue is sending (an element carries data-sending) and in the first minute
// after the page loads (a build just requested may not exist yet), slower otherwise.
// An external file, so the Content-Security-Policy needs no inline script.
const FAST_MS = 2000;
const SLOW_MS = 15000;
const loadedAt = Date.now();

function schedule() {
  const sending = document.querySelector('[data-live][data-sending]') !== null;
  const recent = Date.now() - loadedAt < 60000;
  setTimeout(refresh, sending || recent ? FAST_MS : SLOW_MS);
}

async function refresh() {
  try {
    if (document.hidden) return;
    const response = await fetch(location.href, {
      credentials: 'same-origin',
      headers: { accept: 'text/html' },
    });
    // Signed out meanwhile: the sign-in page answers; leave the page as it is.
    if (!response.ok || response.redirected) return;
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
    for (const part of document.querySelectorAll('[data-live]')) {
      const replacement = part.id ? fresh.getElementById(part.id) : null;
      if (replacement) part.replaceWith(document.importNode(replacement, true));
    }
  } catch {
    // Offline for a moment: try again on the next tick.
  } finally {
    schedule();
  }
}

if (document.querySelector('[data-live]')) schedule();
