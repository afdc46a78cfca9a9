# The quick-start U-Net with the example project's Tversky loss in place of Dice.
_base_ = ['../../../configs/quickstart/unet_s4_synthetic_cxr_128x128.py']
custom_imports = dict(imports=['projects.example_project.example_project'],
                      allow_failed_imports=False)
model = dict(
    decode_head=dict(loss_decode=[
        dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.5),
        dict(type='LesionTverskyLoss', alpha=0.3, beta=0.7, loss_weight=0.5),
    ]))
