// Progressive enhancement for the signup and preferences forms; both work without it.
(() => {
  // The browser knows the reader's time zone: fill an empty timezone field with it.
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  for (const field of document.querySelectorAll('input[name="timezone"]')) {
    if (!field.value && zone) field.value = zone;
  }

  // Keyword suggestions become buttons that add the word to the keywords field.
  const keywords = document.getElementById('keywords');
  const chips = document.getElementById('keyword-chips');
  if (!keywords || !chips) return;
  chips.hidden = false;
  document.getElementById('keyword-list')?.setAttribute('hidden', '');
  chips.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-keyword]');
    if (!button) return;
    const chosen = keywords.value
      .split(',')
      .map((word) => word.trim())
      .filter(Boolean);
    if (!chosen.includes(button.dataset.keyword)) chosen.push(button.dataset.keyword);
    keywords.value = chosen.join(', ');
    button.setAttribute('aria-pressed', 'true');
    keywords.focus();
  });
})();
