// Small helpers shared by the backstage modules.

/** The CSRF token: from a form on the page, else from Django's cookie. */
export function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** fetch() with the CSRF header and JSON accepted; resolves to {ok, status, data}. */
export async function request(url, options = {}) {
  const headers = { Accept: "application/json", "X-CSRFToken": csrfToken(), ...(options.headers || {}) };
  const response = await fetch(url, { credentials: "same-origin", ...options, headers });
  let data = {};
  try {
    data = await response.json();
  } catch {
    data = {};
  }
  return { ok: response.ok, status: response.status, data };
}

export function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
