"""Where a round's answers come from: one ``sync-cli fetch`` run per batch,
the next batch's already asking the API while this one is applied; or the
API's listing, read once for the round."""

from ..synccli import BackgroundFetch, fetch


class FetchAhead:
    """The API's answers for batch after batch of a round.

    Once a batch's answers are in, the next batch's ``sync-cli`` run starts
    in the background (never more than one at a time): the API's latency is
    hidden behind Odoo's work on this batch.

    :param settings: the ``SyncCliSettings`` of the runs
    :param batches: the variant recordsets of the round, in order
    :param prefetch: reads what the sync needs of a batch's products (their
        external IDs among them), in one query
    """

    def __init__(self, settings, batches, prefetch):
        self.settings = settings
        self.batches = batches
        self.prefetch = prefetch
        #: ``(index, BackgroundFetch)`` of the batch fetched ahead, if any.
        self._ahead = None

    def __call__(self, index, products):
        """The answers for ``products`` of batch ``index``: those fetched
        ahead, or of a ``sync-cli`` run now for those not fetched (a product
        whose external ID changed since); then batch ``index + 1`` starts.

        :return: ``{external_id: FetchResult}``
        """
        external_ids = [product.api_external_id for product in products]
        results = {}
        fetched = self._take(index)
        if fetched is not None:
            answers = fetched.result()
            results = {external_id: answers[external_id] for external_id in external_ids if external_id in answers}
        missing = [external_id for external_id in external_ids if external_id not in results]
        if missing:
            results.update(fetch(missing, self.settings))
        self._start(index + 1)
        return results

    def _take(self, index):
        """The fetch of batch ``index`` if it was started; any other is stopped."""
        ahead, self._ahead = self._ahead, None
        if ahead is None:
            return None
        if ahead[0] != index:
            ahead[1].cancel()
            return None
        return ahead[1]

    def _start(self, index):
        if index >= len(self.batches):
            return
        following = self.batches[index]
        self.prefetch(following)
        external_ids = dict.fromkeys(t.api_external_id for t in following if t.api_external_id)
        self._ahead = (index, BackgroundFetch(external_ids, self.settings))

    def close(self):
        """Stop the fetch of a batch left for later."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead[1].cancel()


class ListingAnswers:
    """The answers of a listing read once for the whole round (a
    ``Listing``): a product it does not have is said to be missing from it."""

    def __init__(self, listing):
        self.listing = listing

    def __call__(self, _index, products):
        return {product.api_external_id: self.listing.result(product.api_external_id) for product in products}

    def close(self):
        pass
