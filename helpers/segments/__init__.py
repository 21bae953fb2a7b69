"""Customer segmentation that serves a business goal, and a programme per segment.

The working model of customer-relationship marketing is *segment -> programme
per segment (when, what, how) -> campaign -> measure*. This module covers the
first two steps:

* :func:`segment_features` turns order lines and the customer register into one
  row per customer (RFM, category and channel mix, discount use, margin, age
  band and area type: each where the data has it);
* :data:`CLUSTER_FEATURES` (:data:`BEHAVIOUR_FEATURES` + :data:`ENRICHMENT_FEATURES`)
  names the features the course clusters on, and :func:`choose_features` finds
  them in a company's feature table and says which the data cannot provide;
* :func:`rfm_segments` is the rule-based baseline every clustering must beat;
* :func:`fit_segments`, :func:`choose_k` and :func:`segment_stability` cluster
  customers with scikit-learn pipelines (scaling, optional PCA, k-means or a
  Gaussian mixture) and judge the number of segments by silhouette,
  inertia/BIC, usability (segment sizes) and stability under resampling;
* :func:`profile_segments`, :func:`name_segments` and
  :func:`marketing_programme` describe each segment in the words a marketer
  uses and derive the *when, what and how* for it;
* :func:`migration_matrix` counts customers moving between segments from one
  period to the next.

References
----------
Hughes, A. M. (2012). *Strategic Database Marketing* (4th ed.), McGraw-Hill
(RFM analysis). Tan, Steinbach & Kumar (2019). *Introduction to Data Mining*
(2nd ed.), ch. 7 (k-means, silhouette). Hennig, C. (2007). Cluster-wise
assessment of cluster stability. *Computational Statistics & Data Analysis*
52(1), 258-271. Hubert, L. & Arabie, P. (1985). Comparing partitions.
*Journal of Classification* 2, 193-218 (adjusted Rand index). Wedel, M. &
Kamakura, W. (2000). *Market Segmentation*, Kluwer (mixture models).

The modules: :mod:`~helpers.segments.features` (features and RFM),
:mod:`~helpers.segments.clustering`, :mod:`~helpers.segments.programme`
(profiles, names, programmes) and :mod:`~helpers.segments.migration`; every
public name is importable from ``helpers.segments``.
"""

from helpers.segments.clustering import SKEWED, SegmentFit, choose_k, fit_segments, make_pipeline, segment_stability
from helpers.segments.features import (
    BEHAVIOUR_FEATURES,
    CLUSTER_FEATURES,
    ENRICHMENT_FEATURES,
    FEATURE_SOURCES,
    RFM_GROUPS,
    FeatureChoice,
    choose_features,
    rfm_segments,
    segment_features,
)
from helpers.segments.migration import MigrationMatrix, migration_matrix
from helpers.segments.programme import marketing_programme, name_segments, profile_segments

__all__ = [
    "BEHAVIOUR_FEATURES",
    "CLUSTER_FEATURES",
    "ENRICHMENT_FEATURES",
    "FEATURE_SOURCES",
    "RFM_GROUPS",
    "SKEWED",
    "FeatureChoice",
    "MigrationMatrix",
    "SegmentFit",
    "choose_features",
    "choose_k",
    "fit_segments",
    "make_pipeline",
    "marketing_programme",
    "migration_matrix",
    "name_segments",
    "profile_segments",
    "rfm_segments",
    "segment_features",
    "segment_stability",
]
