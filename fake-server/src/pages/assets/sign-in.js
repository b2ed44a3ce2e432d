// The sign-in pages of the `js-pages` variant, as single-page sign-in apps build them: the
// server sends an empty shell; this script asks the same URL for the page as JSON, renders it,
// and submits the forms with fetch. The server answers a submission with where to go next,
// and the script goes there.
(() => {
  'use strict';
  const app = document.getElementById('app');

  function follow(answer) {
    if (answer.location) {
      window.location.assign(answer.location);
      return;
    }
    document.title = answer.title || document.title;
    // The markup is the server's own, escaped there like every page it renders.
    app.innerHTML = answer.html || '';
    for (const form of app.querySelectorAll('form')) form.addEventListener('submit', submit);
  }

  async function ask(url, init) {
    const response = await fetch(url, {
      ...init,
      credentials: 'same-origin',
      headers: { accept: 'application/json', ...(init && init.headers) },
    });
    follow(await response.json());
  }

  function submit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const fields = new URLSearchParams(new FormData(form, event.submitter));
    // The attribute, not `form.action`: a control named "action" (the login button) shadows it.
    const target = new URL(form.getAttribute('action') || '', window.location.href);
    ask(target.href, {
      method: 'POST',
      body: fields,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }).catch(failed);
  }

  function failed(error) {
    app.textContent = 'This page could not be loaded: ' + error;
  }

  ask(window.location.href).catch(failed);
})();
