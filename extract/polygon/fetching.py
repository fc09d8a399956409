"""Fetch every page of one request, or record why not: the run goes on without it."""

from __future__ import annotations

from dataclasses import dataclass

from dlt.sources.helpers.rest_client import RESTClient
from requests import HTTPError, RequestException

from extract.polygon.client import Hooks, PaginationError, json_pages


class PolygonAuthError(RuntimeError):
    """The API refused the key: nothing else can succeed, so the run stops."""


@dataclass(frozen=True)
class FetchFailure:
    """One request that still failed after retries; the run went on without it."""

    endpoint: str
    subject: str  # the ticker or session it was for
    reason: str
    answered: bool = False  # the API answered, with no data: the data does not exist


def _reason(error: Exception) -> str:
    """A one-line cause that names no URL parameters (the key travels in a header)."""
    if isinstance(error, HTTPError) and error.response is not None:
        return f"HTTP {error.response.status_code} after retries"
    if isinstance(error, PaginationError):
        return str(error)
    if isinstance(error, ValueError):
        return f"malformed JSON: {error}"
    return type(error).__name__


class PageFetcher:
    """All pages of a request, or None with the failure recorded in `failures`.

    `hooks` check and parse each response (default: JSON, see `client`).
    """

    def __init__(
        self, client: RESTClient, failures: list[FetchFailure], hooks: Hooks | None = None
    ) -> None:
        self.client = client
        self.failures = failures
        self.hooks = hooks or json_pages()

    def all_pages(
        self,
        endpoint: str,
        subject: str,
        path: str,
        params: dict | None = None,
        data_selector: str | None = None,
    ) -> list | None:
        """Every page (dlt PageData: a list of `results` with `.response`), or None.

        `data_selector` names the records where they are not under `results`
        (`tickers` of the snapshot, `$` for a bare object or list).
        """
        try:
            pages = self.client.paginate(
                path, params=params or {}, data_selector=data_selector, hooks=self.hooks
            )
            return list(pages)
        except HTTPError as error:
            if error.response is not None and error.response.status_code in (401, 403):
                raise PolygonAuthError(
                    f"the API refused the key (HTTP {error.response.status_code}) on {endpoint}"
                ) from None
            self.failures.append(FetchFailure(endpoint, subject, _reason(error)))
        except (RequestException, ValueError) as error:
            self.failures.append(FetchFailure(endpoint, subject, _reason(error)))
        return None
