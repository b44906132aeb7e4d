from sagemaker_async.cli import main

main()
