import Descent
print(Tensor.randn(3))
