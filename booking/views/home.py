from django.shortcuts import render
from django.utils import timezone

from ..forms import SearchForm


def home(request):
    """The front page: the trip search first, then what TTMS is."""
    form = SearchForm(initial={"date": timezone.localdate()})
    return render(request, "home.html", {"form": form})
