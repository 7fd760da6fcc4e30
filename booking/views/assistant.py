"""The passenger assistant's chat box: a trip asked in plain words, answered with the trips
and a link to each class's seat map, or one question whose choices re-ask with it applied.
htmx swaps the answer in under the box; without JavaScript the form posts here and the
whole page comes back with the answer."""

from django import forms
from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from ttms.localtime import today

from ..assistant.answer import ANSWERABLE, MAX_TEXT, AssistantInputError, assistant_answer


class AssistantForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Ask for a trip"),
        max_length=MAX_TEXT,
        strip=True,
        error_messages={"required": gettext_lazy("Type where you want to go.")},
    )


def _answers(data) -> dict[str, str]:
    """The answers to earlier questions the form carries back (`answer-origin`, ...)."""
    return {
        name: data[f"answer-{name}"].strip()
        for name in ANSWERABLE
        if data.get(f"answer-{name}", "").strip()
    }


@require_http_methods(["GET", "POST"])
def assistant(request):
    """The answer to the chat box's text (POST, or GET with `text` for a shareable link): a
    partial for htmx (`HX-Request`), else the whole page; a bad text is a 400 with why
    (shown in the partial for htmx)."""
    data = request.POST if request.method == "POST" else request.GET
    form = AssistantForm(data if "text" in data else None)
    answers = _answers(data)
    answer, error, status = None, "", 200
    if form.is_bound:
        if form.is_valid():
            try:
                answer = assistant_answer(
                    text=form.cleaned_data["text"],
                    user=request.user,
                    today=today(settings.TTMS_DISPLAY_TIME_ZONE),
                    language=translation.get_language(),
                    answers=answers,
                )
            except AssistantInputError as exc:
                error, status = exc.message, 400
        else:
            error, status = form.errors["text"][0], 400
    context = {
        "assistant_form": form,
        "answer": answer,
        "answers": answers,
        "error": error,
        "assistant_page": True,
    }
    if request.headers.get("HX-Request"):
        # htmx swaps in only 2xx answers: the refusal is shown in place of an answer.
        return render(request, "booking/_assistant_answer.html", context)
    return render(request, "booking/assistant.html", context, status=status)
