"""admission — policy as code for township duty lists, matters admission and delegated powers.

乡镇(街道)履职事项清单、村(社区)工作事项准入与赋权的"策略即代码"引擎。
"""

__version__ = "0.1.0"
