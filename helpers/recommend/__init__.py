"""Next best offer: market-basket rules, recommenders and their offline evaluation.

Three parts:

1. **Association rules.** :func:`pair_rules` computes support, confidence,
   lift, leverage and conviction of every item pair from a co-occurrence
   matrix (one sparse matrix product); :func:`basket_rules` finds all frequent
   itemsets with mlxtend's FP-growth and derives the rules with
   ``association_rules`` (Agrawal, Imieliński & Swami 1993; Han, Pei & Yin
   2000).
2. **Recommenders** with a scikit-learn interface (``fit(interactions)``
   returns ``self``; ``recommend(customers, k)`` returns an ordered list of
   items per customer): :class:`PopularityRecommender` (the baseline every
   method must beat), :class:`ItemKNNRecommender` (item-to-item similarity,
   Sarwar et al. 2001; Linden, Smith & York 2003; only each item's nearest
   neighbours are kept, in a sparse matrix, so large catalogues fit) and
   :class:`SegmentPopularityRecommender` (what is popular in the customer's
   own segment).
3. **Offline evaluation**: :func:`temporal_split` (train before a date, test
   after, so nothing from the future leaks into the model; by default the
   last six months are the test, :func:`default_cutoff`) and the ranking
   metrics :func:`precision_at_k`, :func:`recall_at_k`, :func:`map_at_k`,
   :func:`ndcg_at_k` and :func:`catalog_coverage`, defined as in
   microsoft/recommenders' ``python_evaluation`` module.

**Ties** are always broken the same way: higher score first, then the item
bought by more distinct customers in the training data, then the smaller item
id. So a customer with no history gets the popularity ranking.

**Return lines** (negative quantity or amount) are left out of baskets and of
:func:`user_items`, and counted in ``attrs["return_lines_excluded"]``.

Column parameters follow :mod:`helpers.columns` (``customer_col``,
``product_col``, ``order_col``, ``timestamp_col``, ``quantity_col``,
``amount_col``) with the data contract's names as defaults. The package has
one module per part: :mod:`~helpers.recommend.baskets`,
:mod:`~helpers.recommend.splitting`, :mod:`~helpers.recommend.models` and
:mod:`~helpers.recommend.evaluation`; every public name is importable from
``helpers.recommend`` itself.

References
----------
- Agrawal, R., Imieliński, T. & Swami, A. (1993). Mining association rules
  between sets of items in large databases. *SIGMOD '93*.
- Han, J., Pei, J. & Yin, Y. (2000). Mining frequent patterns without
  candidate generation. *SIGMOD '00* (FP-growth).
- Sarwar, B., Karypis, G., Konstan, J. & Riedl, J. (2001). Item-based
  collaborative filtering recommendation algorithms. *WWW '01*.
- Linden, G., Smith, B. & York, J. (2003). Amazon.com recommendations:
  item-to-item collaborative filtering. *IEEE Internet Computing* 7(1).
- Järvelin, K. & Kekäläinen, J. (2002). Cumulated gain-based evaluation of IR
  techniques. *ACM TOIS* 20(4) (NDCG).
- microsoft/recommenders, ``recommenders/evaluation/python_evaluation.py``
  (definitions of precision@k, recall@k, MAP@k, NDCG@k, catalogue coverage).
"""

from helpers.recommend.baskets import basket_rules, exclude_returns, frequent_itemsets, pair_rules
from helpers.recommend.evaluation import (catalog_coverage, map_at_k, ndcg_at_k, precision_at_k, ranking_metrics,
                                          recall_at_k)
from helpers.recommend.models import ItemKNNRecommender, PopularityRecommender, SegmentPopularityRecommender
from helpers.recommend.splitting import TemporalSplit, default_cutoff, temporal_split, user_items

__all__ = [
    "pair_rules", "frequent_itemsets", "basket_rules", "exclude_returns",
    "TemporalSplit", "default_cutoff", "temporal_split", "user_items",
    "PopularityRecommender", "ItemKNNRecommender", "SegmentPopularityRecommender",
    "precision_at_k", "recall_at_k", "map_at_k", "ndcg_at_k", "catalog_coverage", "ranking_metrics",
]
