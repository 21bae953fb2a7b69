"""The data contract's column names, in one place.

Every public function of the package that takes a column name has a
parameter ``<concept>_col`` whose default is the contract's column name
below (``data/README.md`` lists the contract). A client whose export calls
the customer ``Asiakasnro`` maps it once, in the company description, onto
these names; the lessons then never pass a column name that equals the
default. The same idea as the column constants of microsoft/recommenders.

=================  =================  ==================================
parameter          default            meaning
=================  =================  ==================================
``customer_col``   ``customer_id``    the customer (loyalty-club id)
``order_col``      ``order_id``       one order (a basket, a receipt)
``line_col``       ``line_no``        the line within an order
``timestamp_col``  ``timestamp``      when the order was placed
``product_col``    ``product_id``     the product
``category_col``   ``category``       the product category
``quantity_col``   ``quantity``       units (negative on a return)
``amount_col``     ``amount``         euros paid (negative on a return)
``margin_col``     ``margin``         euros of gross margin
``discount_col``   ``discount``       euros of discount given
``channel_col``    ``channel``        store / web / app
``campaign_col``   ``campaign_id``    the campaign
``group_col``      ``group``          treatment / control
``automation_col`` ``automation_id``  an always-on automation rule
``fire_date_col``  ``fire_date``      the day a rule fired for a customer
=================  =================  ==================================
"""

CUSTOMER = "customer_id"
ORDER = "order_id"
LINE = "line_no"
TIMESTAMP = "timestamp"
PRODUCT = "product_id"
CATEGORY = "category"
QUANTITY = "quantity"
AMOUNT = "amount"
MARGIN = "margin"
DISCOUNT = "discount"
CHANNEL = "channel"
STORE = "store_id"
CAMPAIGN = "campaign_id"
GROUP = "group"
CONVERTED = "converted"
REVENUE = "revenue"
SIGNUP_DATE = "signup_date"
AGE_BAND = "age_band"
AREA_TYPE = "area_type"
LOYALTY_TIER = "loyalty_tier"
POSTAL_CODE = "postal_code"
SEND_DATE = "send_date"
REFERRER = "referrer_id"
REFERRED = "referred_id"
NPS = "nps"
CES = "ces"
HOLDER = "holder_id"
SEASON = "season"
AUTOMATION = "automation_id"
FIRE_DATE = "fire_date"
PURCHASES = "purchases"
