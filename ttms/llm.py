"""An optional language model behind an OpenAI-compatible chat endpoint, asked for one JSON
object and nothing else.

It is configured by the environment (`TTMS_LLM_URL`, `TTMS_LLM_MODEL`, `TTMS_LLM_API_KEY`,
`TTMS_LLM_TIMEOUT`); with no URL there is none, and callers use their offline path. What it
answers is a suggestion to validate, never a fact to show: the caller checks the object
against its own contract and falls back when it does not hold. A failure of any kind
(timeout, refused connection, HTTP error, a body that is not the JSON object asked for) is
logged and answered with None, so a slow or broken provider never breaks a page.
"""

import json
import logging

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

# An answer longer than this is no structured query: it is refused before it is parsed.
MAX_RESPONSE_BYTES = 64 * 1024


def llm_configured() -> bool:
    return bool(settings.TTMS_LLM_URL)


def chat_json(*, system: str, user: str) -> dict | None:
    """The JSON object the model answers to `system` and `user` (one chat completion in JSON
    mode: `response_format` `json_object`, temperature 0), or None when no model is
    configured or anything goes wrong (logged as a warning). Never raises."""
    if not llm_configured():
        return None
    url = settings.TTMS_LLM_URL.rstrip("/") + "/chat/completions"
    headers = {"Accept": "application/json"}
    if settings.TTMS_LLM_API_KEY:
        headers["Authorization"] = f"Bearer {settings.TTMS_LLM_API_KEY}"
    body = {
        "model": settings.TTMS_LLM_MODEL,
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ],
        "response_format": {"type": "json_object"},
        "temperature": 0,
    }
    try:
        response = httpx.post(
            url,
            json=body,
            headers=headers,
            timeout=settings.TTMS_LLM_TIMEOUT,
            follow_redirects=False,
        )
        response.raise_for_status()
        if len(response.content) > MAX_RESPONSE_BYTES:
            raise ValueError(f"the answer is {len(response.content)} bytes long")
        content = response.json()["choices"][0]["message"]["content"]
        if not isinstance(content, str):
            raise TypeError("the message's content is not text")
        answer = json.loads(content)
        if not isinstance(answer, dict):
            raise TypeError("the message is JSON but not an object")
        return answer
    except httpx.TimeoutException:
        logger.warning("llm: no answer from %s within %ss", url, settings.TTMS_LLM_TIMEOUT)
    except httpx.HTTPError as exc:
        logger.warning("llm: request to %s failed: %s", url, exc)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        logger.warning("llm: unusable answer from %s: %s", url, exc)
    return None
